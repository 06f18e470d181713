//! Runs the Python interoperability suite (`tests/python`, paho-mqtt 2.x clients) against the
//! `hermod-test-broker` binary, so that `cargo test --workspace` covers it.
//!
//! It needs `python3` with the packages of `tests/python/requirements.txt` (CI's `.ci/run`
//! installs them); without them this test fails and says what to install.

use std::path::Path;
use std::process::Command;

const INSTALL: &str = "run `python3 -m pip install -r tests/python/requirements.txt` \
                       (CI's .ci/run does this)";

#[test]
fn paho_suite_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let check = Command::new("python3")
        .args([
            "-c",
            "import paho.mqtt, pytest; \
             assert paho.mqtt.__version__.split('.')[0] == '2', paho.mqtt.__version__",
        ])
        .output();
    match check {
        Err(error) => {
            panic!("python3 could not be started ({error}): install Python 3, then {INSTALL}")
        }
        Ok(output) if !output.status.success() => panic!(
            "paho-mqtt 2.x or pytest is missing: {INSTALL}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Ok(_) => {}
    }

    // Every wait in the suite is bounded, and the broker it starts exits when pytest's pipe
    // to it closes, so this returns.
    let output = Command::new("python3")
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/python",
        ])
        .current_dir(&root)
        .env(
            "HERMOD_TEST_BROKER",
            env!("CARGO_BIN_EXE_hermod-test-broker"),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|error| panic!("could not run pytest: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the paho-mqtt suite failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // Shown with --nocapture: the pytest summary line.
    println!("{}", stdout.trim_end().lines().last().unwrap_or_default());
}

//! The `hermod` binary.
//!
//! The broker itself arrives with the next piece of work (issue 4); until then this binary only
//! reports its version and says so, so that `cargo run --release` is honest about what exists.

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    eprintln!(
        "hermod {version}: the MQTT codec and topic matching are built; \
         the broker (listening on 127.0.0.1:1883) is not yet. Nothing is listening."
    );
}

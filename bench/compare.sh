#!/usr/bin/env bash
# Side-by-side benchmark of Hermod, Mosquitto and rumqttd on this machine (see BENCHMARKS.md).
#
#   bench/compare.sh                      # everything, 3 rounds of 10 s runs (~25 minutes)
#   bench/compare.sh --rounds 1 --duration 2 --scenarios fan-in-q0,p2p-q1   # a quick look
#
# Installs what is missing first: Mosquitto from Debian's packages, rumqttd with
# `cargo install` into bench/.peers, matplotlib (for the charts) into bench/.venv. Needs two
# cores: brokers run pinned to core 0, the load tool to core 1. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
    echo "installing mosquitto (apt-get)" >&2
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq mosquitto >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq mosquitto >/dev/null; fi
fi
# A broker started by the package's service would hold port 1883; ours use their own ports.
if [ ! -x bench/.peers/bin/rumqttd ]; then
    # Not --locked: the lock file rumqttd 0.20 ships pins metrics 0.22.1, which current rustc
    # rejects (E0521); the newest compatible versions build.
    echo "installing rumqttd (cargo install rumqttd --root bench/.peers)" >&2
    cargo install --quiet rumqttd --root bench/.peers
fi
if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet matplotlib
fi
cargo build --release --quiet -p hermod
exec bench/.venv/bin/python bench/compare.py "$@"

#!/usr/bin/env python3
"""Side-by-side broker benchmark: Hermod, Mosquitto and rumqttd, one scenario at a time.

Each (round, scenario, broker) run starts a fresh broker pinned to one core (taskset), runs
`hermod bench` pinned to the other core, and records the load tool's JSON summary together
with the broker's CPU time (utime + stime from /proc/PID/stat) and peak RSS (VmHWM from
/proc/PID/status). Brokers alternate within a round (A B C, A B C, ...). Results: one JSON
line per run in bench/results/raw.jsonl, the medians in bench/results/summary.md, and PNG
charts when matplotlib is available.

Run through bench/compare.sh, which installs the peers first. Loopback only; every broker
this script starts is stopped by its PID.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERMOD = ROOT / "target" / "release" / "hermod"
PEERS = ROOT / "bench" / ".peers"
TICKS = os.sysconf("SC_CLK_TCK")
BROKER_CORE = "0"
TOOL_CORE = "1"


# --- brokers --------------------------------------------------------------------------------

# Another Hermod build to compare with this one (`--baseline PATH`), as broker "hermod-baseline".
BASELINE = None


def hermod_command(port, workdir, storage=None, binary=None):
    """Hermod in memory, or with storage ("sync" or "periodic") in the run's directory."""
    config = workdir / "hermod.toml"
    stored = (f"[storage]\nmode = \"{storage}\"\ndata_dir = \"{workdir / 'data'}\"\n"
              "flush_interval = \"100ms\"\n") if storage else ""
    config.write_text(
        "[server]\nmax_connections = 100000\n"
        "[mqtt]\nmax_inflight = 100\n"
        "[log]\nlevel = \"error\"\n" + stored
    )
    memory = [] if storage else ["--in-memory"]
    return [str(binary or HERMOD), "serve", "--config", str(config), "--port", str(port)] + memory


def mosquitto_command(port, workdir, persistence=False):
    """Mosquitto without persistence, or with it (its default autosave: every 30 minutes
    and at shutdown)."""
    config = workdir / "mosquitto.conf"
    stored = (f"persistence true\npersistence_location {workdir}/\n" if persistence
              else "persistence false\n")
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        + stored +
        "log_type none\n"
        "set_tcp_nodelay true\n"
        "max_inflight_messages 100\n"
        "max_queued_messages 1000\n"
        "max_connections -1\n"
    )
    return [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(config)]


def rumqttd_command(port, workdir):
    config = workdir / "rumqttd.toml"
    config.write_text(
        "id = 0\n\n[router]\nid = 0\nmax_connections = 30000\n"
        "max_outgoing_packet_count = 200\nmax_segment_size = 104857600\nmax_segment_count = 10\n\n"
        "[v4.1]\nname = \"v4-1\"\n"
        f"listen = \"127.0.0.1:{port}\"\nnext_connection_delay_ms = 0\n"
        "    [v4.1.connections]\n    connection_timeout_ms = 60000\n"
        "    max_payload_size = 20480\n    max_inflight_count = 100\n    dynamic_filters = true\n"
    )
    return [str(PEERS / "bin" / "rumqttd"), "--config", str(config)]


BROKERS = {
    "hermod": hermod_command,
    "mosquitto": mosquitto_command,
    "rumqttd": rumqttd_command,
    # Durable runs (issue 6): storage on.
    "hermod-sync": lambda port, workdir: hermod_command(port, workdir, "sync"),
    "hermod-periodic": lambda port, workdir: hermod_command(port, workdir, "periodic"),
    "mosquitto-persist": lambda port, workdir: mosquitto_command(port, workdir, True),
    # A/B runs of two Hermod builds side by side (--baseline).
    "hermod-baseline": lambda port, workdir: hermod_command(port, workdir, binary=BASELINE),
}


# --- scenarios ------------------------------------------------------------------------------

def scenarios(duration, idle_connections):
    """name -> (hermod bench arguments, kind). kind: flow, idle or conn."""
    d = str(duration)
    return {
        "fan-in-q0": (["scenario", "fan-in", "-c", "50", "-q", "0", "-s", "64", "--duration", d], "flow"),
        "fan-in-q1": (["scenario", "fan-in", "-c", "50", "-q", "1", "-s", "64", "--duration", d], "flow"),
        "fan-out-q0": (["scenario", "fan-out", "-c", "200", "-q", "0", "-s", "64", "--duration", d], "flow"),
        "p2p-q1": (["scenario", "p2p", "-c", "100", "-q", "1", "-s", "256", "--duration", d], "flow"),
        # Into persistent sessions (Clean Session 0): what a durable broker stores.
        "p2p-q1-persistent": (["scenario", "p2p", "-c", "100", "-q", "1", "-s", "256", "-C", "false",
                               "--duration", d], "flow"),
        "fan-in-q1-persistent": (["scenario", "fan-in", "-c", "50", "-q", "1", "-s", "64",
                                  "-C", "false", "--duration", d], "flow"),
        "latency-20k": (["scenario", "p2p", "-c", "100", "-q", "0", "-s", "64", "-L", "20000",
                         "--duration", d], "flow"),
        "idle": (["scenario", "idle", "-c", str(idle_connections), "-R", "5000",
                  "--duration", "6", "-k", "120"], "idle"),
        "conn-rate": (["conn", "-c", str(idle_connections), "-R", "40000", "--duration", "1",
                       "-k", "120"], "conn"),
    }


# --- measurement helpers --------------------------------------------------------------------

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_for_port(port, process, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"broker exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RssSampler(threading.Thread):
    """Samples a process's VmRSS and CPU seconds every 50 ms; keeps the largest RSS and the
    CPU samples as (monotonic time, CPU seconds)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()
        self.cpu_samples = []

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
                self.cpu_samples.append((time.monotonic(), cpu_seconds(self.pid)))
            except OSError:
                return
            self.stop.wait(0.05)

    def cpu_at(self, moment):
        """CPU seconds at the first sample taken at or after `moment` (the last one if none)."""
        later = [cpu for at, cpu in self.cpu_samples if at >= moment]
        if later:
            return later[0]
        return self.cpu_samples[-1][1] if self.cpu_samples else None


def run_one(broker, scenario, args, kind, round_index, source, timeout):
    workdir = Path(tempfile.mkdtemp(prefix=f"hermod-compare-{broker}-"))
    port = free_port()
    command = ["taskset", "-c", BROKER_CORE] + BROKERS[broker](port, workdir)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, process)
        time.sleep(0.3)
        baseline_kb = status_kb(process.pid, "VmRSS")
        cpu_before = cpu_seconds(process.pid)
        sampler = RssSampler(process.pid)
        sampler.start()
        tool = ["taskset", "-c", TOOL_CORE, str(HERMOD), "bench"] + args + [
            "-p", str(port), "--json", "--quiet", "--ifaddr", source]
        started = time.monotonic()
        done = subprocess.run(tool, capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - started
        sampler.stop.set()
        sampler.join()
        cpu = cpu_seconds(process.pid) - cpu_before
        peak_kb = status_kb(process.pid, "VmHWM")
        alive = process.poll() is None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    # The connection scenario's connect phase (until the last CONNACK) alone: the broker's
    # CPU then, without the hold and the teardown that follow (50 ms sampling resolution).
    connect_cpu = None
    try:
        connections = json.loads(done.stdout.strip().splitlines()[-1])
        if kind == "conn" and connections.get("connect_rate"):
            phase = connections["established"] / connections["connect_rate"]
            at = sampler.cpu_at(started + phase)
            connect_cpu = at - cpu_before if at is not None else None
    except (ValueError, IndexError, KeyError, TypeError):
        pass
    record = {
        "connect_phase_cpu_s": connect_cpu,
        "round": round_index, "broker": broker, "scenario": scenario, "kind": kind,
        "tool_exit": done.returncode, "wall_s": wall, "broker_alive": alive,
        "broker_cpu_s": cpu, "peak_rss_kb": peak_kb, "baseline_rss_kb": baseline_kb,
        "sampled_peak_rss_kb": sampler.peak_kb,
    }
    try:
        record["report"] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        record["report"] = None
        record["tool_stderr"] = done.stderr[-2000:]
    derive(record)
    return record


def derive(record):
    """Adds the figures the summary compares."""
    report = record.get("report") or {}
    if record["kind"] == "flow":
        received = report.get("received", 0)
        record["msgs_per_s"] = report.get("delivered_per_s", 0.0)
        record["cpu_us_per_msg"] = record["broker_cpu_s"] * 1e6 / received if received else None
        latency = report.get("latency", {})
        record["p50_us"], record["p99_us"] = latency.get("p50_us"), latency.get("p99_us")
        record["p999_us"] = latency.get("p999_us")
        record["missing"] = report.get("missing")
        record["duplicates"] = report.get("duplicates")
        record["reordered"] = report.get("reordered")
        record["tool_cpu_share"] = report.get("tool_cpu_share")
    else:
        nested = report.get("connections")
        connections = nested if isinstance(nested, dict) else report
        established = connections.get("established", 0)
        record["established"] = established
        record["connect_rate"] = connections.get("connect_rate")
        record["connack_p99_us"] = connections.get("connack_latency", {}).get("p99_us")
        record["tool_cpu_share"] = report.get("tool_cpu_share")
        if record.get("connect_phase_cpu_s") is not None and established:
            record["cpu_us_per_conn"] = record["connect_phase_cpu_s"] * 1e6 / established
        if record["kind"] == "idle" and established:
            grown = max(record["sampled_peak_rss_kb"] - record["baseline_rss_kb"], 0)
            record["kb_per_connection"] = grown / established


# --- summary --------------------------------------------------------------------------------

def median(records, key):
    values = [r[key] for r in records if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0, unit=""):
    if value is None:
        return "–"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}{unit}"
    return f"{value:,.{digits}f}{unit}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


# Which Hermod configuration is compared with which peer: like with like.
RATIO_PAIRS = [
    ("hermod", "mosquitto", "Hermod/Mosquitto"),
    ("hermod", "rumqttd", "Hermod/rumqttd"),
    ("hermod-sync", "mosquitto-persist", "Hermod sync/Mosquitto persist"),
    ("hermod-periodic", "mosquitto-persist", "Hermod periodic/Mosquitto persist"),
    ("hermod", "hermod-baseline", "Hermod/baseline"),
]


def summarize(records, brokers, names):
    lines = ["| scenario | broker | msgs/s (median) | p50 µs | p99 µs | missing | dup | reord | "
             "broker CPU µs/msg | peak RSS MB | tool CPU |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    pairs = [pair for pair in RATIO_PAIRS if pair[0] in brokers and pair[1] in brokers]
    ratios = ["| scenario | " + " | ".join(title for _, _, title in pairs) + " |",
              "|---|" + "---:|" * len(pairs)]
    conn_lines = ["| scenario | broker | established | conn/s | CONNACK p99 µs | "
                  "broker CPU µs/conn | KB per idle conn | peak RSS MB | tool CPU |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        per_broker = {}
        for broker in brokers:
            runs = [r for r in records if r["scenario"] == name and r["broker"] == broker]
            if not runs:
                continue
            per_broker[broker] = runs
            kind = runs[0]["kind"]
            rss = median(runs, "peak_rss_kb")
            rss_mb = rss / 1024 if rss is not None else None
            if kind == "flow":
                lines.append(
                    f"| {name} | {broker} | {fmt(median(runs, 'msgs_per_s'))} | "
                    f"{fmt(median(runs, 'p50_us'))} | {fmt(median(runs, 'p99_us'))} | "
                    f"{fmt(sum(r.get('missing') or 0 for r in runs))} | "
                    f"{fmt(sum(r.get('duplicates') or 0 for r in runs))} | "
                    f"{fmt(sum(r.get('reordered') or 0 for r in runs))} | "
                    f"{fmt(median(runs, 'cpu_us_per_msg'), 2)} | {fmt(rss_mb, 1)} | "
                    f"{fmt((median(runs, 'tool_cpu_share') or 0) * 100, 0, ' %')} |")
            else:
                conn_lines.append(
                    f"| {name} | {broker} | {fmt(median(runs, 'established'))} | "
                    f"{fmt(median(runs, 'connect_rate'))} | {fmt(median(runs, 'connack_p99_us'))} | "
                    f"{fmt(median(runs, 'cpu_us_per_conn'), 1)} | "
                    f"{fmt(median(runs, 'kb_per_connection'), 2)} | {fmt(rss_mb, 1)} | "
                    f"{fmt((median(runs, 'tool_cpu_share') or 0) * 100, 0, ' %')} |")
        key = "msgs_per_s" if any(r["kind"] == "flow" for rs in per_broker.values() for r in rs) \
            else "connect_rate"
        cells = [ratio(median(per_broker.get(ours, []), key), median(per_broker.get(peer, []), key))
                 for ours, peer, _ in pairs]
        ratios.append(f"| {name} ({key}) | " + " | ".join(cells) + " |")
    tables = [table for table in (lines, conn_lines, ratios if pairs else []) if len(table) > 2]
    return "\n\n".join("\n".join(table) for table in tables) + "\n"


def charts(records, brokers, names, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no charts", file=sys.stderr)
        return
    panels = [("msgs_per_s", "delivered msgs/s", "flow"), ("cpu_us_per_msg", "broker CPU µs per message", "flow"),
              ("peak_rss_kb", "peak RSS (KB)", None), ("p99_us", "p99 latency µs", "flow")]
    for key, title, kind in panels:
        chosen = [n for n in names if any(r["scenario"] == n and (kind is None or r["kind"] == kind)
                                          for r in records)]
        if not chosen:
            continue
        figure, axis = plt.subplots(figsize=(max(6, 1.6 * len(chosen)), 4))
        width = 0.8 / max(len(brokers), 1)
        for i, broker in enumerate(brokers):
            values = [median([r for r in records if r["scenario"] == n and r["broker"] == broker], key) or 0
                      for n in chosen]
            axis.bar([x + i * width for x in range(len(chosen))], values, width, label=broker)
        axis.set_xticks([x + width * (len(brokers) - 1) / 2 for x in range(len(chosen))])
        axis.set_xticklabels(chosen, rotation=20)
        axis.set_title(title + " (median of rounds)")
        if key in ("msgs_per_s", "p99_us", "peak_rss_kb"):
            axis.set_yscale("log")
        axis.legend()
        figure.tight_layout()
        figure.savefig(out / f"{key}.png", dpi=100)
        plt.close(figure)


def resummarize(out):
    """Rebuilds the tables and charts of an earlier run from its raw records."""
    raw = out / "raw.jsonl"
    if not raw.is_file():
        sys.exit(f"no {raw}: run the suite with --out {out} first")
    records = [json.loads(line) for line in raw.read_text().splitlines() if line]
    brokers = list(dict.fromkeys(r["broker"] for r in records))
    names = list(dict.fromkeys(r["scenario"] for r in records))
    summary = summarize(records, brokers, names)
    (out / "summary.md").write_text(summary)
    charts(records, brokers, names, out)
    print(summary)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per message run")
    parser.add_argument("--brokers", default="hermod,mosquitto,rumqttd")
    parser.add_argument("--scenarios", default=None, help="comma-separated; default: all")
    parser.add_argument("--idle-connections", type=int, default=19000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--baseline", default=None,
                        help="another hermod binary, run as broker 'hermod-baseline'")
    parser.add_argument("--summarize", action="store_true",
                        help="only rebuild summary.md and the charts from OUT/raw.jsonl")
    arguments = parser.parse_args()
    if arguments.summarize:
        resummarize(Path(arguments.out))
        return
    global BASELINE
    BASELINE = arguments.baseline
    if "hermod-baseline" in arguments.brokers.split(",") and not BASELINE:
        sys.exit("broker hermod-baseline needs --baseline PATH")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    brokers = arguments.brokers.split(",")
    table = scenarios(arguments.duration, arguments.idle_connections)
    names = arguments.scenarios.split(",") if arguments.scenarios else list(table)
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "raw.jsonl"
    records = []
    source = 1
    timeout = arguments.duration * 3 + 120
    with raw.open("w") as sink:
        for round_index in range(1, arguments.rounds + 1):
            for name in names:
                args, kind = table[name]
                for broker in brokers:
                    # A fresh source address per run: the previous run's closed connections
                    # may still hold ports in TIME_WAIT.
                    source = source % 250 + 1
                    record = run_one(broker, name, args, kind, round_index,
                                     f"127.0.0.{source}", timeout)
                    records.append(record)
                    sink.write(json.dumps(record) + "\n")
                    sink.flush()
                    shown = record.get("msgs_per_s") or record.get("connect_rate")
                    print(f"round {round_index} {name:12} {broker:10} "
                          f"{fmt(shown)}/s cpu {record['broker_cpu_s']:.2f}s "
                          f"rss {record['peak_rss_kb'] / 1024:.1f}MB"
                          + ("" if record["report"] else " (no report)"), flush=True)
    summary = summarize(records, brokers, names)
    (out / "summary.md").write_text(summary)
    charts(records, brokers, names, out)
    print(summary)


if __name__ == "__main__":
    main()

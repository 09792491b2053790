#!/usr/bin/env python3
"""Remote hosts benchmark (issue: beyond one host): the same two workers as one local pool,
or as one local worker plus a remote host agent with one worker over TCP (127.0.0.1) with
CurveZMQ, or the same without encryption (--insecure); noop and burn throughput, in one run,
--rounds interleaved on bench/harness.py (median and best). Then CurveZMQ's cost per
message (bench/curve_cost).

Usage: bench/hosts.py BUILD_DIR [--rounds N] [--noop N] [--burn N]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile

import harness


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(build, tasks, layout, keys):
    """One run, measured whole by the harness; adds its summary. layout: local | curve |
    insecure."""
    taskfarm = os.path.join(build, "taskfarm")
    if layout == "local":
        result = harness.measure([taskfarm, "run", "--json", "--quiet", "--workers", "2", *tasks],
                                 capture=True)
        result["summary"] = json.loads(result["stdout"])
        return result
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    security = ["--keys", keys] if layout == "curve" else ["--insecure"]
    host = subprocess.Popen([taskfarm, "host", "--connect", endpoint, "--workers", "1",
                             *security], stderr=subprocess.DEVNULL)
    try:
        # Tasks wait for the host to join (--wait-hosts): a run of noops is over before a
        # host could connect otherwise.
        result = harness.measure([taskfarm, "run", "--json", "--quiet", "--workers", "1",
                                  "--listen", endpoint, *security, "--wait-hosts", "1", *tasks],
                                 capture=True)
    finally:
        host.wait(timeout=30)
    result["summary"] = json.loads(result["stdout"])
    return result


def remote_tasks(sample):
    return sum(h["tasks"] for name, h in sample["summary"]["hosts"].items() if name != "local")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--noop", type=int, default=200_000)
    parser.add_argument("--burn", type=int, default=400)
    args = parser.parse_args()
    keys = os.path.join(tempfile.mkdtemp(prefix="taskfarm-bench-keys-"), "keys")
    subprocess.run([os.path.join(args.build, "taskfarm"), "keygen", keys], check=True,
                   capture_output=True)

    layouts = ("local", "curve", "insecure")
    work = {"noop": ["--noop", str(args.noop)], "burn": ["--burn", str(args.burn), "--burn-us", "5000"]}
    counts = {"noop": args.noop, "burn": args.burn}
    print(f"remote hosts: {args.rounds} rounds interleaved; load average "
          f"{harness.load_average():.2f} at start")
    samples = harness.interleave({
        (kind, layout): (lambda k=kind, l=layout: run(args.build, work[k], l, keys))
        for kind in work for layout in layouts}, args.rounds)

    def rate(kind, layout, pick=harness.median):
        return counts[kind] / pick(samples[(kind, layout)], "busy_s")

    for sample_list in samples.values():
        for sample in sample_list:
            sample["busy_s"] = sample["summary"]["busy_s"]
    print("  two workers, tasks/s from first send to last result (median; best in brackets)")
    print(f"  {'':40}{'noop':>12}{'(best)':>12}{'burn 5 ms':>11}{'(best)':>9}{'vs local':>16}")
    names = {"local": "local pool (2 workers)",
             "curve": "1 local + host agent (1), TCP + CURVE",
             "insecure": "1 local + host agent (1), TCP plain"}
    for layout in layouts:
        ratio = "" if layout == "local" else \
            f"{rate('noop', layout) / rate('noop', 'local'):>8.0%}{rate('burn', layout) / rate('burn', 'local'):>8.0%}"
        print(f"  {names[layout]:40}{rate('noop', layout):>12,.0f}"
              f"{rate('noop', layout, harness.minimum):>12,.0f}{rate('burn', layout):>11,.1f}"
              f"{rate('burn', layout, harness.minimum):>9,.1f}{ratio:>16}")
    for layout in ("curve", "insecure"):
        shares = [remote_tasks(s) / args.burn for s in samples[("burn", layout)]]
        print(f"  share of burn tasks the host ran ({layout}): median {statistics.median(shares):.0%}, "
              f"min {min(shares):.0%} (its half would be 50%)")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(all(remote_tasks(s) > 0 for k in work for l in ("curve", "insecure")
                      for s in samples[(k, l)]), "the host ran tasks in every remote run")
    harness.check(rate("burn", "curve") >= 0.9 * rate("burn", "local"),
                  "burn through a host agent over CURVE at least 90% of the local pool's")
    print()
    print("CurveZMQ per message, DEALER -> ROUTER over TCP on 127.0.0.1:")
    sys.stdout.flush()
    subprocess.run([os.path.join(args.build, "bench", "curve_cost")], check=True)
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())

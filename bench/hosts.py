#!/usr/bin/env python3
"""Remote hosts benchmark (issue: beyond one host): the same two workers as one local pool,
or as one local worker plus a remote host agent with one worker over TCP (127.0.0.1) with
CurveZMQ, or the same without encryption (--insecure); noop and burn throughput, in one run,
best of --repeat interleaved. Then CurveZMQ's cost per message (bench/curve_cost).

Usage: bench/hosts.py BUILD_DIR [--repeat N] [--noop N] [--burn N]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(build, tasks, layout, keys):
    """One run; returns its summary. layout: local | curve | insecure."""
    taskfarm = os.path.join(build, "taskfarm")
    if layout == "local":
        out = subprocess.run([taskfarm, "run", "--json", "--quiet", "--workers", "2", *tasks],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    security = ["--keys", keys] if layout == "curve" else ["--insecure"]
    host = subprocess.Popen([taskfarm, "host", "--connect", endpoint, "--workers", "1",
                             *security], stderr=subprocess.DEVNULL)
    try:
        # Tasks wait for the host to join (--wait-hosts): a run of noops is over before a
        # host could connect otherwise.
        out = subprocess.run([taskfarm, "run", "--json", "--quiet", "--workers", "1", "--listen",
                              endpoint, *security, "--wait-hosts", "1", *tasks], check=True,
                             capture_output=True, text=True).stdout
    finally:
        host.wait(timeout=30)
    summary = json.loads(out)
    remote = [h for name, h in summary["hosts"].items() if name != "local"]
    if not remote or remote[0]["tasks"] == 0:
        raise RuntimeError(f"the host did no task: {summary['hosts']}")
    return summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--noop", type=int, default=200_000)
    parser.add_argument("--burn", type=int, default=400)
    args = parser.parse_args()
    keys = os.path.join(tempfile.mkdtemp(prefix="taskfarm-bench-keys-"), "keys")
    subprocess.run([os.path.join(args.build, "taskfarm"), "keygen", keys], check=True,
                   capture_output=True)

    layouts = ("local", "curve", "insecure")
    noop = {l: 0.0 for l in layouts}
    burn = {l: 0.0 for l in layouts}
    share = {l: 0.0 for l in layouts}
    for _ in range(args.repeat):
        for layout in layouts:
            s = run(args.build, ["--noop", str(args.noop)], layout, keys)
            noop[layout] = max(noop[layout], args.noop / s["busy_s"])
            s = run(args.build, ["--burn", str(args.burn), "--burn-us", "5000"], layout, keys)
            burn[layout] = max(burn[layout], args.burn / s["busy_s"])
            if layout != "local":
                remote = [h for n, h in s["hosts"].items() if n != "local"][0]
                share[layout] = max(share[layout], remote["tasks"] / args.burn)

    print(f"two workers, tasks/s from first send to last result (best of {args.repeat})")
    print(f"{'':44}{'noop':>12}{'burn 5 ms':>12}{'vs local':>18}")
    names = {"local": "local pool (2 workers)",
             "curve": "1 local + host agent (1), TCP + CURVE",
             "insecure": "1 local + host agent (1), TCP plain"}
    for layout in layouts:
        ratio = "" if layout == "local" else \
            f"{noop[layout] / noop['local']:>8.0%}{burn[layout] / burn['local']:>10.0%}"
        print(f"{names[layout]:44}{noop[layout]:>12,.0f}{burn[layout]:>12,.1f}{ratio:>18}")
    print(f"share of burn tasks the host ran: CURVE {share['curve']:.0%}, "
          f"plain {share['insecure']:.0%} (its half would be 50%)")
    print()
    print("CurveZMQ per message, DEALER -> ROUTER over TCP on 127.0.0.1:")
    sys.stdout.flush()
    subprocess.run([os.path.join(args.build, "bench", "curve_cost")], check=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Cluster benchmark (issue: Slurm launcher), on this machine's private single-node Slurm
(tests/slurm/local-cluster; needs root):

1. The same three workers as one local pool, or as one local worker plus two host agents
   launched through Slurm (srun, TCP + CURVE): burn and noop throughput.
2. The coordinator's dispatch capacity over TCP + CURVE: noop tasks/s with no local worker
   and two local host agents of one worker each (--launcher local).
All --rounds interleaved on bench/harness.py (median and best).

Usage: bench/slurm.py BUILD_DIR [--rounds N] [--noop N] [--burn N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.join(HERE, "..", "tests", "slurm", "local-cluster")


def run(build, env, *args):
    """One run, measured whole by the harness, with busy_s from its summary."""
    result = harness.measure([os.path.join(build, "taskfarm"), "run", "--json", "--quiet", *args],
                             env=env, capture=True)
    result["busy_s"] = json.loads(result["stdout"])["busy_s"] if result["rc"] == 0 else 0
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--noop", type=int, default=200_000)
    parser.add_argument("--burn", type=int, default=600)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="taskfarm-bench-slurm-")
    keys = os.path.join(work, "keys")
    subprocess.run([os.path.join(args.build, "taskfarm"), "keygen", keys], check=True,
                   capture_output=True)
    started = subprocess.run([CLUSTER, "start", os.path.join(work, "slurm")],
                             capture_output=True, text=True)
    if started.returncode != 0:
        print(f"cannot start the local Slurm cluster: {started.stderr.strip()}")
        return 1
    env = dict(os.environ, SLURM_CONF=started.stdout.strip())
    slurm = ["--workers", "1", "--listen", "tcp://127.0.0.1:0", "--keys", keys,
             "--launcher", "slurm", "--hosts", "2", "--workers-per-host", "1", "--wait-hosts", "2"]
    burn = ["--burn", str(args.burn), "--burn-us", "5000"]
    noop = ["--noop", str(args.noop)]
    counts = {"burn": args.burn, "noop": args.noop}
    print(f"Slurm: {args.rounds} rounds interleaved; load average {harness.load_average():.2f} at start")
    try:
        samples = harness.interleave({
            ("local", "burn"): lambda: run(args.build, env, "--workers", "3", *burn),
            ("slurm", "burn"): lambda: run(args.build, env, *slurm, *burn),
            ("local", "noop"): lambda: run(args.build, env, "--workers", "3", *noop),
            ("slurm", "noop"): lambda: run(args.build, env, *slurm, *noop),
            ("capacity", "noop"): lambda: run(args.build, env, "--workers", "0", "--keys", keys,
                                              "--launcher", "local", "--hosts", "2",
                                              "--wait-hosts", "2", *noop),
        }, args.rounds)
    finally:
        subprocess.run([CLUSTER, "stop", os.path.join(work, "slurm")], capture_output=True)

    def rate(layout, kind, pick=harness.median):
        return counts[kind] / pick(samples[(layout, kind)], "busy_s")

    print("  three workers, tasks/s from first send to last result (median; best in brackets)")
    print(f"  {'':48}{'burn 5 ms':>11}{'(best)':>9}{'noop':>12}{'(best)':>12}")
    for layout, name in (("local", "local pool (3 workers)"),
                         ("slurm", "1 local + 2 Slurm agents (1 each), TCP + CURVE")):
        print(f"  {name:48}{rate(layout, 'burn'):>11,.1f}{rate(layout, 'burn', harness.minimum):>9,.1f}"
              f"{rate(layout, 'noop'):>12,.0f}{rate(layout, 'noop', harness.minimum):>12,.0f}")
    print(f"  {'through Slurm agents / local pool':48}{rate('slurm', 'burn') / rate('local', 'burn'):>11.0%}"
          f"{'':9}{rate('slurm', 'noop') / rate('local', 'noop'):>12.0%}")
    print(f"  coordinator dispatch capacity over TCP + CURVE (no local worker, 2 agents): "
          f"{rate('capacity', 'noop'):,.0f} noop tasks/s (median)")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(rate("slurm", "burn") >= 0.9 * rate("local", "burn"),
                  "burn through Slurm agents at least 90% of the local pool's")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())

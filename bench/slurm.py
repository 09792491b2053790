#!/usr/bin/env python3
"""Cluster benchmark (issue: Slurm launcher), on this machine's private single-node Slurm
(tests/slurm/local-cluster; needs root):

1. The same three workers as one local pool, or as one local worker plus two host agents
   launched through Slurm (srun, TCP + CURVE): burn and noop throughput, best of --repeat.
2. The coordinator's dispatch capacity over TCP + CURVE: noop tasks/s with no local worker
   and two local host agents of one worker each (--launcher local), which is what the
   README's estimate of how many hosts one coordinator keeps busy rests on.

Usage: bench/slurm.py BUILD_DIR [--repeat N] [--noop N] [--burn N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.join(HERE, "..", "tests", "slurm", "local-cluster")


def run(build, env, *args):
    out = subprocess.run([os.path.join(build, "taskfarm"), "run", "--json", "--quiet", *args],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--repeat", type=int, default=3)
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
    try:
        slurm = ["--workers", "1", "--listen", "tcp://127.0.0.1:0", "--keys", keys,
                 "--launcher", "slurm", "--hosts", "2", "--workers-per-host", "1",
                 "--wait-hosts", "2"]
        burn = ["--burn", str(args.burn), "--burn-us", "5000"]
        noop = ["--noop", str(args.noop)]
        best = {}
        def keep(key, value):
            best[key] = max(best.get(key, 0.0), value)
        for _ in range(args.repeat):
            keep("local burn", args.burn / run(args.build, env, "--workers", "3", *burn)["busy_s"])
            keep("slurm burn", args.burn / run(args.build, env, *slurm, *burn)["busy_s"])
            keep("local noop", args.noop / run(args.build, env, "--workers", "3", *noop)["busy_s"])
            keep("slurm noop", args.noop / run(args.build, env, *slurm, *noop)["busy_s"])
            capacity = run(args.build, env, "--workers", "0", "--keys", keys, "--launcher",
                           "local", "--hosts", "2", "--wait-hosts", "2", *noop)
            keep("capacity", args.noop / capacity["busy_s"])
    finally:
        subprocess.run([CLUSTER, "stop", os.path.join(work, "slurm")], capture_output=True)

    print(f"three workers, tasks/s from first send to last result (best of {args.repeat})")
    print(f"{'':48}{'burn 5 ms':>12}{'noop':>14}")
    print(f"{'local pool (3 workers)':48}{best['local burn']:>12,.1f}{best['local noop']:>14,.0f}")
    print(f"{'1 local + 2 Slurm agents (1 each), TCP + CURVE':48}{best['slurm burn']:>12,.1f}"
          f"{best['slurm noop']:>14,.0f}")
    print(f"{'through Slurm agents / local pool':48}{best['slurm burn'] / best['local burn']:>12.0%}"
          f"{best['slurm noop'] / best['local noop']:>14.0%}")
    print()
    d = best["capacity"]
    print(f"coordinator dispatch capacity over TCP + CURVE (no local worker, 2 agents): "
          f"{d:,.0f} noop tasks/s")
    for cost_ms, per_host in ((1, 32), (10, 32), (100, 64)):
        workers = d * cost_ms / 1000
        print(f"  tasks of {cost_ms:>3} ms keep {workers:>9,.0f} workers busy = "
              f"{workers / per_host:>7,.0f} hosts of {per_host} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())

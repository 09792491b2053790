#!/usr/bin/env python3
"""Rate benchmark: taskfarm's shared token bucket (bench/rate_limiter_bench: try_acquire ns
per call, granting and refusing, in 1 process and with 2 contending; the CPU that 16
processes blocked in acquire at 10/s spend in 3 s) against the bucket a Python program would
share between processes (bench/rate_baseline.py: a multiprocessing.Lock around shared
doubles), interleaved on bench/harness.py, median and min of each figure.

Usage: bench/rate.py BUILD_DIR [--rounds N]
"""
import os
import re
import statistics
import sys

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


def taskfarm_figures(stdout):
    number = r"([\d.]+)"
    one = re.search(r"^1 process\s+" + number + r"\s+" + number, stdout, re.M)
    two = re.search(r"^2 processes contending \(slower\)\s+" + number + r"\s+" + number, stdout, re.M)
    blocked = re.search(r"(\d+) tokens granted, " + number + r" ms CPU", stdout)
    return {"g1": float(one[1]), "r1": float(one[2]), "g2": float(two[1]), "r2": float(two[2]),
            "tokens": int(blocked[1]), "blocked_cpu_ms": float(blocked[2])}


def python_figures(stdout):
    g1, r1, g2, r2 = (float(x) for x in stdout.split())
    return {"g1": g1, "r1": r1, "g2": g2, "r2": r2}


def main():
    build = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5

    def run(command, parse):
        result = harness.measure(command, capture=True)
        if result["rc"] == 0:
            result.update(parse(result["stdout"]))
        return result

    print(f"shared token bucket: {rounds} rounds interleaved; load average "
          f"{harness.load_average():.2f} at start")
    samples = harness.interleave({
        "taskfarm (lock-free, shared memory)":
            lambda: run([os.path.join(build, "bench", "rate_limiter_bench")], taskfarm_figures),
        "Python (multiprocessing.Lock + RawArray)":
            lambda: run(["/usr/bin/python3", os.path.join(HERE, "rate_baseline.py")], python_figures),
    }, rounds)
    print("  try_acquire, ns per call (median; min in brackets)")
    print(f"  {'':42}{'granted':>9}{'':8}{'refused':>9}{'':8}{'contended':>9}   (granted, 2 processes)")
    for name, runs in samples.items():
        cells = "".join(f"{harness.median(runs, k):>9.1f} ({harness.minimum(runs, k):>5.1f})"
                        for k in ("g1", "r1", "g2"))
        print(f"  {name:42}{cells}")
    farm, python = samples["taskfarm (lock-free, shared memory)"], samples["Python (multiprocessing.Lock + RawArray)"]
    ratio = harness.median(python, "g1") / harness.median(farm, "g1")
    contended = harness.median(python, "g2") / harness.median(farm, "g2")
    print(f"  taskfarm / Python: {ratio:.0f}x faster uncontended, {contended:.0f}x with 2 processes contending")
    tokens = statistics.median(s["tokens"] for s in farm)
    cpu_ms = harness.median(farm, "blocked_cpu_ms")
    print(f"  16 processes blocked in acquire at 10/s for 3 s: {tokens:.0f} tokens granted (ideal 30), "
          f"{cpu_ms:.1f} ms CPU in all ({cpu_ms / 3000 * 100:.3f}% of one core; median)")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(ratio > 1, "taskfarm's bucket cheaper per call than the Python baseline")
    harness.check(all(29 <= s["tokens"] <= 31 for s in farm), "blocked processes got the rate (29-31 tokens in 3 s), never more")
    harness.check(cpu_ms < 30, "processes blocked on the bucket spend under 1% of a core")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())

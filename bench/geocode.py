#!/usr/bin/env python3
"""Geocoding benchmark: N places through `taskfarm geoserver` (a fixed latency per request)
at a rate limit, taskfarm against the strongest plain-Python baseline (a thread pool with
one shared token bucket, bench/geocode_threads.py), interleaved by bench/harness.py; both
against the floor N/rate (the bucket starts empty) and beside a serial loop's rate.

Usage: bench/geocode.py BUILD_DIR [--rounds N] [--places N] [--rate R] [--latency-ms MS]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def places(count, path):
    with open(os.path.join(HERE, "..", "tests", "data", "places-1000.txt")) as src:
        lines = [l for l in src if l.strip() and not l.startswith("#")][:count]
    with open(path, "w") as out:
        out.writelines(lines)
    return len(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-geocode-")
    server = subprocess.Popen([os.path.join(args.build, "taskfarm"), "geoserver", "--listen",
                               "127.0.0.1:0", "--latency-ms", str(args.latency_ms)],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        file = os.path.join(tmp, "places.txt")
        n = places(args.places, file)
        # Enough threads for the requests the limit keeps in flight (rate x latency), twice.
        threads = max(4, int(2 * args.rate * args.latency_ms / 1000))
        farm_cmd = [os.path.join(args.build, "taskfarm"), "run", "--geocode", file, "--provider",
                    "nominatim", "--endpoint", url, "--rate", f"nominatim={args.rate:g}/s",
                    "--workers", "2", "--json", "--quiet"]
        print(f"geocoding: {n} places, server latency {args.latency_ms} ms, limit {args.rate:g}/s; "
              f"{args.rounds} rounds interleaved; load average {harness.load_average():.2f} at start")
        samples = harness.interleave({
            "taskfarm (2 workers)": lambda: harness.measure(farm_cmd, capture=True),
            f"Python thread pool ({threads}) + one bucket": lambda: harness.measure(
                [PY, os.path.join(HERE, "geocode_threads.py"), file, url, f"{args.rate:g}", str(threads)],
                capture=True),
        }, args.rounds)
        serial_file = os.path.join(tmp, "serial.txt")
        serial_n = places(25, serial_file)  # one at a time is slow: a sample, scaled
        serial = harness.measure([PY, os.path.join(HERE, "geocode_threads.py"), serial_file, url,
                                  "1000", "1"], capture=True)
        stats = json.load(urllib.request.urlopen(url + "/stats"))
    finally:
        server.terminate()
        server.wait()
    floor = n / args.rate
    print(f"  {'':40}{'wall s median':>14}{'min':>8}{'x floor':>9}{'CPU s':>8}")
    for name, runs in samples.items():
        wall = harness.median(runs, "wall_s")
        print(f"  {name:40}{wall:>14.2f}{harness.minimum(runs, 'wall_s'):>8.2f}{wall / floor:>9.3f}"
              f"{harness.median(runs, 'cpu_s'):>8.2f}")
    serial_wall = float(serial["stdout"].split()[3]) * n / serial_n
    print(f"  {'serial loop (1 in flight; 25, scaled)':40}{serial_wall:>14.2f}{'':>8}{serial_wall / floor:>9.3f}")
    farm_runs = samples["taskfarm (2 workers)"]
    python_runs = [v for k, v in samples.items() if k.startswith("Python")][0]
    ratio = harness.median(python_runs, "wall_s") / harness.median(farm_runs, "wall_s")
    print(f"  floor N/rate = {floor:.1f} s; taskfarm / thread pool: {ratio:.3f}x "
          + ("(the thread pool is faster)" if ratio < 1 else "(taskfarm is faster)")
          + f"; the server saw at most {stats['max_in_a_second']} requests in any second, "
          f"refused {stats['refused']}")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(all(json.loads(r["stdout"])["kinds"]["geocode"]["done"] == n for r in farm_runs),
                  "taskfarm resolved every place in every round")
    harness.check(all(r["stdout"].split()[1] == str(n) for r in python_runs),
                  "the thread pool resolved every place in every round")
    harness.check(harness.median(farm_runs, "wall_s") <= 1.05 * floor, "taskfarm within 5% of the floor")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())

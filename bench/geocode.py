#!/usr/bin/env python3
"""Geocoding benchmark (issue: geocoding): N places through `taskfarm geoserver` with a fixed
latency at a rate limit, against the limit's floor N/rate, beside a serial run (1 worker, 1
request in flight) on the same server, in one run.

Usage: bench/geocode.py BUILD_DIR [--places N] [--rate R] [--latency-ms MS] [--serial N]
"""
import argparse
import json
import os
import subprocess
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def places(count, path):
    with open(os.path.join(HERE, "..", "tests", "data", "places-1000.txt")) as src:
        lines = [l for l in src if l.strip() and not l.startswith("#")][:count]
    with open(path, "w") as out:
        out.writelines(lines)
    return len(lines)


def run(build, path, url, rate, *extra):
    out = subprocess.run([os.path.join(build, "taskfarm"), "run", "--geocode", path,
                          "--provider", "nominatim", "--endpoint", url,
                          "--rate", f"nominatim={rate}/s", "--json", "--quiet", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--places", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--serial", type=int, default=50)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    server = subprocess.Popen([os.path.join(args.build, "taskfarm"), "geoserver", "--listen",
                               "127.0.0.1:0", "--latency-ms", str(args.latency_ms)],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        n = places(args.places, os.path.join(tmp, "all.txt"))
        farm = run(args.build, os.path.join(tmp, "all.txt"), url, args.rate, "--workers", "2")
        stats = json.load(urllib.request.urlopen(url + "/stats"))
        s = places(args.serial, os.path.join(tmp, "serial.txt"))
        serial = run(args.build, os.path.join(tmp, "serial.txt"), url, 1000, "--workers", "1",
                     "--io-concurrency", "1")
    finally:
        server.terminate()
        server.wait()
    floor = n / args.rate
    ok = farm["kinds"]["geocode"]["done"]
    serial_rate = s / serial["wall_s"]
    print(f"geocoding: {n} places, server latency {args.latency_ms} ms, limit {args.rate:g}/s")
    print(f"{'':34}{'places':>8}{'wall s':>10}{'places/s':>10}")
    print(f"{'taskfarm (2 workers)':34}{n:>8}{farm['wall_s']:>10.2f}{n / farm['wall_s']:>10.1f}")
    print(f"{'serial (1 worker, 1 in flight)':34}{s:>8}{serial['wall_s']:>10.2f}{serial_rate:>10.1f}"
          f"   ({n / serial_rate:.0f} s for all {n})")
    print(f"wall against the floor N/rate = {floor:.1f} s: {farm['wall_s'] / floor:.3f}x "
          f"(target 1.00-1.05); resolved {ok}/{n}; the server saw at most "
          f"{stats['max_in_a_second']} requests in any second, refused {stats['refused']}; "
          f"speed-up over serial {serial_rate and (n / farm['wall_s']) / serial_rate:.1f}x")


if __name__ == "__main__":
    main()

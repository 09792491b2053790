#!/usr/bin/env python3
"""Offline geocoding accuracy (issue: a geocoder people can trust): the places of
bench/data/geocode-accuracy.tsv, in the forms people type, through `taskfarm run --geocode
--provider offline`, each answer held against the place's true position (from the list, not
from the gazetteer): hits within 25 km, wrong answers, not found, ambiguity flags, and time
per lookup. With --baseline BUILD_DIR (an earlier taskfarm's build), the same list through it,
the two interleaved round by round.

Usage: bench/geocode_accuracy.py BUILD_DIR [--baseline BUILD_DIR] [--rounds N] [--misses]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HIT_KM = 25
CONFIDENT = 0.5  # a wrong answer at or above this confidence (or unrated) is a confident one


def read_list():
    rows = []
    with open(os.path.join(HERE, "data", "geocode-accuracy.tsv"), encoding="utf-8") as src:
        for line in src:
            if line.startswith("#") or not line.strip():
                continue
            form, query, expected = line.rstrip("\n").split("\t")
            rows.append((form, query, expected))
    return rows


def km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(min(1, math.sqrt(h)))


def run(build, rows, tmp):
    """Each form in a run of its own: a run asks a place once and gives it one row, so two
    forms that fold alike (Minsk, Минск) would otherwise share a row."""
    answers = {}
    wall = 0.0
    for form in dict.fromkeys(form for form, _, _ in rows):
        queries = os.path.join(tmp, "places.txt")
        with open(queries, "w", encoding="utf-8") as out:
            for row_form, query, _ in rows:
                if row_form == form:
                    out.write(query + "\n")
        out = os.path.join(tmp, "rows.jsonl")
        if os.path.exists(out):
            os.unlink(out)
        start = time.monotonic()
        subprocess.run([os.path.join(build, "taskfarm"), "run", "--geocode", queries,
                        "--provider", "offline", "--out", out, "--workers", "1", "--quiet"],
                       check=False, cwd=tmp)
        wall += time.monotonic() - start
        with open(out, encoding="utf-8") as found:
            for line in found:
                row = json.loads(line)
                answers[(form, row.get("query"))] = row
    return answers, wall


def judge(expected, row):
    """One of: hit, wrong, not_found; and whether it was flagged ambiguous."""
    if row is None or row.get("status") != "ok":
        return "not_found"
    if expected.startswith("country="):
        code = expected.split("=")[1]
        # A country answer is the country itself (no place before its name), in that country.
        return "hit" if ", " not in row.get("formatted_address", "") and \
            row.get("country_code") == code else "wrong"
    points = [tuple(map(float, p.split(","))) for p in expected.split(";")]
    here = (row["lat"], row["lon"])
    return "hit" if min(km(here, p) for p in points) <= HIT_KM else "wrong"


def score(rows, answers):
    forms = {}
    misses = []
    for form, query, expected in rows:
        row = answers.get((form, query))
        verdict = judge(expected, row)
        ambiguous = bool(row and row.get("ambiguous"))
        confidence = row.get("confidence") if row else None
        tally = forms.setdefault(form, {"n": 0, "hit": 0, "wrong": 0, "not_found": 0,
                                        "flagged": 0, "confident_wrong": 0})
        tally["n"] += 1
        tally[verdict] += 1
        tally["flagged"] += ambiguous
        if verdict == "wrong" and form != "ambiguous" and not ambiguous and \
                (confidence is None or confidence >= CONFIDENT):
            tally["confident_wrong"] += 1
        if verdict != "hit" or (form == "ambiguous" and not ambiguous):
            misses.append((form, query, verdict, row.get("formatted_address") if row else None,
                           confidence, ambiguous))
    return forms, misses


def table(name, forms):
    print(f"{name}")
    print(f"  {'form':<16}{'places':>7}{'within 25 km':>14}{'wrong':>7}{'not found':>11}"
          f"{'flagged ambiguous':>19}{'confident wrong':>17}")
    total = {"n": 0, "hit": 0, "wrong": 0, "not_found": 0, "flagged": 0, "confident_wrong": 0}
    for form, t in forms.items():
        for key in total:
            total[key] += t[key]
        print(f"  {form:<16}{t['n']:>7}{t['hit']:>9} {100 * t['hit'] / t['n']:3.0f}%"
              f"{t['wrong']:>7}{t['not_found']:>11}{t['flagged']:>19}{t['confident_wrong']:>17}")
    t = total
    print(f"  {'all':<16}{t['n']:>7}{t['hit']:>9} {100 * t['hit'] / t['n']:3.0f}%"
          f"{t['wrong']:>7}{t['not_found']:>11}{t['flagged']:>19}{t['confident_wrong']:>17}")
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--baseline", help="an earlier taskfarm's build directory")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
    rows = read_list()
    tmp = tempfile.mkdtemp()
    contenders = [("taskfarm (this build)", args.build)]
    if args.baseline:
        contenders.append(("taskfarm (baseline build)", args.baseline))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    walls = {name: [] for name, _ in contenders}
    answers = {}
    for _ in range(args.rounds):  # A B A B ...: the machine's drift falls on both
        for name, build in contenders:
            answers[name], wall = run(build, rows, tmp)
            walls[name].append(wall)
    print(f"offline geocoding: {len(rows)} places as people type them; a hit is within "
          f"{HIT_KM} km of the true position (an ambiguous name: of any of its places)\n")
    for name, _ in contenders:
        forms, misses = score(rows, answers[name])
        total = table(name, forms)
        w = walls[name]
        lookup_ms = sorted(r["run_ms"] for r in answers[name].values() if "run_ms" in r)
        print(f"  {len(set(f for f, _, _ in rows))} runs, {len(rows)} lookups, 1 worker (each run loads the gazetteer): median "
              f"{statistics.median(w):.2f} s, min {min(w):.2f} s over {len(w)} rounds; "
              f"{1000 * min(w) / len(rows):.2f} ms per lookup at best; one lookup as its worker "
              f"timed it: median {statistics.median(lookup_ms):.3f} ms, "
              f"p95 {lookup_ms[int(0.95 * (len(lookup_ms) - 1))]:.3f} ms")
        print(f"  goal: >= 95% within 25 km ({100 * total['hit'] / total['n']:.1f}%), no "
              f"confident wrong answer on unambiguous names ({total['confident_wrong']})\n")
        if args.misses:
            for miss in misses:
                print("    miss:", *miss)
            print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs a command and prints {"wall_s", "cpu_s", "max_rss_mb", "rc"} as JSON: CPU and peak
RSS over the command and every descendant it waited for (getrusage of children).

Usage: bench/measure.py COMMAND [ARGS...]   (the command's stdout goes to stderr)
"""
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=sys.stderr).returncode
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "max_rss_mb": usage.ru_maxrss / 1024, "rc": rc}))

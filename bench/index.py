#!/usr/bin/env python3
"""Indexing benchmark (issue: indexing): `taskfarm run --index` against `recollindex`
(Debian's recoll 1.34, default configuration in a temporary config dir) on the same corpus,
in one run: wall, CPU, peak RSS, documents indexed; the no-change re-run of both; and
taskfarm with 1 and 2 workers (parallel efficiency).

Usage: bench/index.py BUILD_DIR CORPUS_DIR
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(*command):
    out = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "measure.py"), *command],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         check=True).stdout
    return json.loads(out)


def taskfarm(build, corpus, db, workers):
    return measure(os.path.join(build, "taskfarm"), "run", "--index", corpus, "--db", db,
                   "--workers", str(workers), "--quiet")


def indexed(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE status='indexed'").fetchone()[0]


def recoll_docs(dbdir):
    import xapian
    return xapian.Database(dbdir).get_doccount()


def main():
    build, corpus = sys.argv[1], os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp(prefix="bench-index-")
    conf = os.path.join(work, "recoll")
    os.makedirs(conf)
    with open(os.path.join(conf, "recoll.conf"), "w") as f:
        f.write(f"topdirs = {corpus}\ndbdir = {conf}/xapiandb\nloglevel = 1\n")
    env_conf = {**os.environ, "RECOLL_CONFDIR": conf}
    os.environ.update(env_conf)
    recoll = measure("recollindex", "-c", conf, "-z")
    recoll_again = measure("recollindex", "-c", conf)
    recoll_n = recoll_docs(os.path.join(conf, "xapiandb"))

    db2 = os.path.join(work, "tf2.db")
    farm2 = taskfarm(build, corpus, db2, 2)
    farm2_again = taskfarm(build, corpus, db2, 2)
    db1 = os.path.join(work, "tf1.db")
    farm1 = taskfarm(build, corpus, db1, 1)
    n = indexed(db2)

    print(f"indexing {corpus}: taskfarm against recollindex, in one run")
    print(f"{'':30}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'documents':>11}")
    print(f"{'recollindex -z (full)':30}{recoll['wall_s']:>9.1f}{recoll['cpu_s']:>9.1f}"
          f"{recoll['max_rss_mb']:>13.0f}{recoll_n:>11}")
    print(f"{'taskfarm, 2 workers':30}{farm2['wall_s']:>9.1f}{farm2['cpu_s']:>9.1f}"
          f"{farm2['max_rss_mb']:>13.0f}{n:>11}")
    print(f"{'taskfarm, 1 worker':30}{farm1['wall_s']:>9.1f}{farm1['cpu_s']:>9.1f}"
          f"{farm1['max_rss_mb']:>13.0f}{indexed(db1):>11}")
    print(f"{'recollindex, no change':30}{recoll_again['wall_s']:>9.2f}{recoll_again['cpu_s']:>9.2f}"
          f"{recoll_again['max_rss_mb']:>13.0f}")
    print(f"{'taskfarm, no change':30}{farm2_again['wall_s']:>9.2f}{farm2_again['cpu_s']:>9.2f}"
          f"{farm2_again['max_rss_mb']:>13.0f}")
    print(f"speed-up over recollindex: {recoll['wall_s'] / farm2['wall_s']:.2f}x (target >= 2x); "
          f"documents {n} vs {recoll_n}; parallel efficiency with 2 workers: "
          f"{farm1['wall_s'] / (2 * farm2['wall_s']):.0%}")


if __name__ == "__main__":
    main()

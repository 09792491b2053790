#!/usr/bin/env python3
"""Indexing benchmark: `taskfarm run --index` against `recollindex` (Debian's recoll 1.34) on
the same corpus, interleaved (bench/harness.py): recollindex with its default configuration
(PDFs through pdftotext), recollindex with taskfarm's PDF converter (mutool), and taskfarm
with 2 workers; then the no-change re-run of both; then parity: the documents each indexed
(like for like: Recoll's folders and its archives' folder entries are not documents) and,
for 30 words picked from Recoll's own index, the share of Recoll's hits that
`taskfarm search` also returns.

Usage: bench/index.py BUILD_DIR CORPUS_DIR [--rounds N]
"""
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import harness

QUERIES = 30
QUERY_SEED = 17


def recoll_conf(work, corpus, name, pdf_converter=None):
    conf = os.path.join(work, name)
    os.makedirs(conf)
    with open(os.path.join(conf, "recoll.conf"), "w") as f:
        f.write(f"topdirs = {corpus}\ndbdir = {conf}/xapiandb\nloglevel = 1\n")
    if pdf_converter:
        with open(os.path.join(conf, "mimeconf"), "w") as f:
            f.write(f"[index]\napplication/pdf = exec {pdf_converter};"
                    "mimetype=text/plain;charset=utf-8\n")
    return conf


def recoll_documents(conf):
    """Recoll's documents as taskfarm names them (path, path!member), folders left out, the
    pages of a large text file as the file."""
    import xapian
    db = xapian.Database(os.path.join(conf, "xapiandb"))
    by_id = {}
    for posting in db.postlist(""):
        fields = dict(line.split("=", 1) for line in
                      db.get_document(posting.docid).get_data().decode("utf-8", "replace").split("\n")
                      if "=" in line)
        if fields.get("mtype") == "inode/directory" or fields.get("ipath", "").endswith("/"):
            continue
        path = fields["url"][len("file://"):]
        ipath = fields.get("ipath", "")
        # Recoll splits a large text file into pages (textfilemaxpagekbs, 1,000 KB), each a
        # document whose ipath is its byte offset: one file for taskfarm, which keeps it whole.
        if re.fullmatch(r"\d+", ipath) and not re.search(r"\.(zip|tar|tgz|7z|cpio|ar|iso)(\.\w+)?$", path):
            ipath = ""
        by_id[posting.docid] = path + ("!" + ipath if ipath else "")
    return db, by_id


def pick_queries(db, by_id):
    """30 words of Recoll's index (plain lower-case words, in 2 to 300 documents)."""
    candidates = []
    for term in db.allterms():
        word = term.term.decode("utf-8", "replace")
        if re.fullmatch(r"[a-z]{5,14}", word) and 2 <= term.termfreq <= 300:
            candidates.append(word)
    words = random.Random(QUERY_SEED).sample(sorted(candidates), QUERIES)
    hits = {}
    for word in words:
        hits[word] = {by_id[p.docid] for p in db.postlist(word) if p.docid in by_id}
    return hits


def taskfarm_hits(build, db, word):
    out = subprocess.run([os.path.join(build, "taskfarm"), "search", "--db", db, "--json",
                          "--limit", "10000", word], capture_output=True, text=True, check=True).stdout
    found = set()
    for hit in json.loads(out):
        found.add(hit["path"])
        found.update(hit["also_at"])
    return found


def taskfarm_documents(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE status='indexed'").fetchone()[0]


def row(name, samples):
    m = lambda k: harness.median(samples, k)
    print(f"  {name:34}{m('wall_s'):>8.2f}{harness.minimum(samples, 'wall_s'):>8.2f}"
          f"{m('cpu_s'):>8.1f}{m('max_rss_mb'):>9.0f}{m('tree_rss_mb'):>9.0f}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    build, corpus = os.path.abspath(args[0]), os.path.abspath(args[1])
    work = tempfile.mkdtemp(prefix="bench-index-")
    confs = {"recollindex (default: pdftotext)": recoll_conf(work, corpus, "recoll"),
             "recollindex (mutool for PDFs)": recoll_conf(work, corpus, "recoll-mutool",
                                                          "mutool draw -q -F txt -o -")}
    db = os.path.join(work, "taskfarm.db")
    farm = [os.path.join(build, "taskfarm"), "run", "--index", corpus, "--db", db,
            "--workers", "2", "--quiet"]
    variants = {name: (lambda c=conf: harness.measure(["recollindex", "-c", c, "-z"]))
                for name, conf in confs.items()}
    variants["taskfarm, 2 workers"] = lambda: harness.measure(farm)

    def fresh(name):
        if name.startswith("taskfarm") and os.path.exists(db):
            os.remove(db)

    load_before = harness.load_average()
    print(f"indexing {corpus}: {rounds} round(s) interleaved, the order reversed each round; "
          f"load average {load_before:.2f} at start")
    # taskfarm exits 1 when some files failed (the corpus's bad/ folder): the run completed.
    full = harness.interleave(variants, rounds, before_each=fresh, exit_codes=(0, 1))
    again = harness.interleave({
        "recollindex, no change": lambda: harness.measure(["recollindex", "-c", confs[
            "recollindex (default: pdftotext)"]]),
        "taskfarm, no change": lambda: harness.measure(farm)}, rounds)
    print(f"  {'':34}{'wall s':>8}{'min s':>8}{'CPU s':>8}{'RSS MB':>9}{'tree MB':>9}   (medians)")
    for name, samples in {**full, **again}.items():
        row(name, samples)

    xdb, by_id = recoll_documents(confs["recollindex (default: pdftotext)"])
    n_recoll, n_farm = len(set(by_id.values())), taskfarm_documents(db)
    hits = pick_queries(xdb, by_id)
    found = total = 0
    misses = []
    for word, recoll in hits.items():
        ours = taskfarm_hits(build, db, word)
        both = len(recoll & ours)
        found += both
        total += len(recoll)
        if both < len(recoll):
            misses.append(f"{word} {both}/{len(recoll)}")
    share = found / total if total else 0
    recoll_wall = harness.median(full["recollindex (default: pdftotext)"], "wall_s")
    mutool_wall = harness.median(full["recollindex (mutool for PDFs)"], "wall_s")
    farm_wall = harness.median(full["taskfarm, 2 workers"], "wall_s")
    farm_cpu = harness.median(full["taskfarm, 2 workers"], "cpu_s")
    print(f"  documents: taskfarm {n_farm}, recollindex {n_recoll} (files and archive members)")
    print(f"  {len(hits)} words from Recoll's index: taskfarm returns {found} of Recoll's {total} "
          f"hits ({share:.1%}); short: {', '.join(misses) if misses else 'none'}")
    print(f"  speed-up: {recoll_wall / farm_wall:.2f}x over recollindex's default, "
          f"{mutool_wall / farm_wall:.2f}x over recollindex with mutool; taskfarm's wall is "
          f"{farm_wall / (farm_cpu / 2):.2f}x its ideal on 2 cores (CPU / 2)")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(n_farm >= n_recoll, "taskfarm indexes at least as many documents as recollindex")
    harness.check(share >= 0.95, "taskfarm returns at least 95% of Recoll's hits")
    harness.check(recoll_wall / farm_wall >= 2, "at least 2x faster than recollindex (default)")
    harness.check(harness.median(again["taskfarm, no change"], "wall_s") <=
                  harness.median(again["recollindex, no change"], "wall_s"),
                  "a no-change re-run no slower than recollindex's")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if harness.failures() else 0)


if __name__ == "__main__":
    main()

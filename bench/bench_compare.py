"""Variant grouping of one section over the corpus replicated to ~2,000 agreements.

    .venv/bin/python bench/bench_compare.py [--source DATA_DIR] [--agreements 2000]
                                            [--key appendix-complaint] [--model WSO]

The source is a segmented archive: --source, else $MOA_TEST_CORPUS_ARCHIVE, else
/work/devdata/corpus-archive when its .READY flag exists, else the fixture corpus built
afresh (import + read + sections: OCR, a minute). Its agreements are copied under new
sha256s until there are ~--agreements of them, into a scratch archive. Printed:

- cold: refreshing the cache of normalised sections for every agreement (what the
  first command after a change pays once), then the first `variants()` call;
- warm: `variants()` again (cache fresh: the usual case), median of 5, and its ratio to
  the 2 s target;
- the same grouping without the cache (every text normalised in memory), for the ratio
  the cache buys.
The machine may be shared: figures are noisy.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive import compare  # noqa: E402
from archive.compare.loading import section_tokens  # noqa: E402
from store.datadir import DataDir  # noqa: E402
from store.db import transaction  # noqa: E402

TARGET_SECONDS = 2.0
DEV_ARCHIVE = Path("/work/devdata/corpus-archive")
COPY = {  # table -> columns copied per document (sha256 first)
    "files": "sha256, bytes, kind, file_name, media_type, path, first_stored_at",
    "documents": "sha256, kind, file_name, url, agency, state, model, signed, template_model, "
                 "metadata_source, source, first_fetched_at, last_fetched_at",
    "segmentations": "sha256, segmenter_version, complete, layout, problems, segmented_at",
    "sections": "sha256, ord, key, number, title, parent_ord, first_page, last_page, text",
    "facts": "sha256, name, value, page, ord",
}


def source_archive(arg: str | None, tmp: Path) -> DataDir:
    for cand in (arg, os.environ.get("MOA_TEST_CORPUS_ARCHIVE"),
                 str(DEV_ARCHIVE) if (DEV_ARCHIVE.parent / "corpus-archive.READY").exists() else None):
        if cand and (Path(cand) / "moa.sqlite3").is_file():
            return DataDir(cand, readonly=True)
    from conftest import FIXTURE_CORPUS, _build_archive
    print("building the fixture archive (no --source given) ...", file=sys.stderr)
    return _build_archive(FIXTURE_CORPUS, tmp / "fixture")


def replicate(src: DataDir, dst: DataDir, target: int) -> int:
    """Copy the source's agreements under new sha256s until there are about *target*."""
    shas = [d.sha256 for d in compare.agreements(src)]
    rounds = max(1, round(target / max(1, len(shas))))
    conn = dst.db
    with transaction(conn):
        for table, cols in COPY.items():
            rows = src.db.execute(f"SELECT {cols} FROM {table} WHERE sha256 IN "
                                  f"({','.join('?' * len(shas))})", shas).fetchall()
            marks = ",".join("?" * len(cols.split(",")))
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                             [(hashlib.sha256(f"{r[0]}:{n}".encode()).hexdigest(), *tuple(r)[1:])
                              for n in range(rounds) for r in rows])
    return rounds * len(shas)


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source")
    ap.add_argument("--agreements", type=int, default=2000)
    ap.add_argument("--key", default="appendix-complaint")
    ap.add_argument("--model", default="WSO")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = source_archive(args.source, Path(tmp))
        dst = DataDir(Path(tmp) / "bench")
        n = replicate(src, dst, args.agreements)
        print(f"source {src.root}: replicated to {n} agreements")
        t_cache, stats = timed(lambda: compare.refresh_cache(dst))
        t_first, r = timed(lambda: compare.variants(dst, args.key, args.model))
        print(f"cold: cache of {stats['refreshed']} agreements {t_cache:.2f} s, first variants() {t_first:.2f} s")
        warm = [timed(lambda: compare.variants(dst, args.key, args.model))[0] for _ in range(5)]
        w = statistics.median(warm)
        print(f"warm: variants({args.key!r}, {args.model}) over {r['with_section']} agreements -> "
              f"{len(r['variants'])} variants in {w:.3f} s (median of 5); {w / TARGET_SECONDS:.2f}x the "
              f"{TARGET_SECONDS:.0f} s target")
        members = compare.Norms(dst.db).slot(args.key, [d.sha256 for d in compare.agreements(dst, args.model)])
        docs = {sha: compare.load_doc(dst, sha) for sha in members}
        t_nocache, _ = timed(lambda: compare.cluster({
            sha: " ".join(k for k, _ in section_tokens(d, d.section(args.key)))
            for sha, d in docs.items()}))
        print(f"no cache: normalising {len(docs)} texts and grouping them {t_nocache:.2f} s; "
              f"the cache makes it {t_nocache / w:.1f}x faster")
        dst.close()
        src.close()


if __name__ == "__main__":
    main()

"""Harvest and import speed against the local ICE server (tests/ice_server.py).

    .venv/bin/python bench/bench_harvest.py

Over the shared corpus (else the fixture corpus): `import_paths` of every roster and PDF,
then a first harvest (everything new; the rosters link ~640 files, most absent: 404s),
then a re-harvest (conditional requests: 304s). --delay 0, so the figures are our own
overhead, not politeness. Prints seconds, requests/s and MB/s, and the re-run's ratio to
the first run. The machine may be shared: figures are noisy.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive.core.config import HarvestSettings  # noqa: E402
from archive.harvest.run import harvest  # noqa: E402
from archive.harvest.importer import import_paths  # noqa: E402
from ice_server import IceServer  # noqa: E402
from store.datadir import DataDir  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"


def main() -> None:
    corpus = SHARED if (SHARED / "MANIFEST.csv").is_file() else FIXTURES
    files = sorted((corpus / "sheets").glob("*.xlsx")) + sorted((corpus / "pdfs").glob("*.pdf"))
    size = sum(f.stat().st_size for f in files)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = import_paths(DataDir(Path(tmp) / "import"), files)
        dt = time.perf_counter() - t
        print(f"import: {result.files} files, {size / 1e6:.1f} MB in {dt:.2f} s "
              f"({result.files / dt:.1f} files/s, {size / 1e6 / dt:.1f} MB/s)")
        with IceServer(corpus) as server:
            server.roster_links()   # build the rewritten roster before timing
            d = DataDir(Path(tmp) / "harvest")
            settings = HarvestSettings(source_url=server.source_url, extra_hosts=("127.0.0.1",), delay=0, retries=0)
            times = []
            for label in ("first harvest", "re-harvest"):
                t = time.perf_counter()
                r = harvest(d, settings)
                dt = time.perf_counter() - t
                times.append(dt)
                print(f"{label}: {r.requests} requests, {r.bytes / 1e6:.1f} MB, {r.new_files} new files, "
                      f"{r.not_modified} not modified, {len(r.failures)} failures in {dt:.2f} s "
                      f"({r.requests / dt:.0f} requests/s)")
            print(f"re-harvest / first harvest: {times[1] / times[0]:.2f}")
            d.close()


if __name__ == "__main__":
    main()

"""What the headless-Chromium tests share: Debian's chromium, the flags it needs on this
closed network, the real app served by waitress on a free local port, and one browser
per module. Test modules import the fixtures they use from here."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from web import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt install chromium)"),
]


@pytest.fixture(scope="module")
def site(fixture_archive):
    """The site served by waitress on a free local port."""
    from waitress.server import create_server

    server = create_server(create_app({"DATA_DIR": str(fixture_archive.root)}),
                           host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

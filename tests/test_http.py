"""The polite fetcher, against the local ICE server."""
from __future__ import annotations

import pytest

from archive.core.config import HarvestSettings
from archive.core.errors import FetchError, HostNotAllowed
from archive.harvest.http import Fetcher
from conftest import FIXTURE_CORPUS
from ice_server import MOAS, PROGRAM, ROSTERS, IceServer

RUSK = MOAS + "RuskCoSOTX_WSO_MOA_030425.pdf"


@pytest.fixture
def server():
    with IceServer(FIXTURE_CORPUS) as s:
        yield s


class FakeTime:
    """A clock and a sleep that only record: back-off and pauses without waiting."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fetcher(server=None, t: FakeTime | None = None, **kw) -> Fetcher:
    kw.setdefault("delay", 0)
    settings = HarvestSettings(extra_hosts=("127.0.0.1",), **kw)
    t = t or FakeTime()
    return Fetcher(settings, sleep=t.sleep, clock=t.clock)


def test_pdf_with_validators_then_304(server):
    with fetcher() as f:
        r = f.get(server.base + RUSK, expect="pdf")
        assert r.status == 200 and r.body == (FIXTURE_CORPUS / "pdfs" / RUSK.rsplit("/", 1)[1]).read_bytes()
        assert r.etag and r.last_modified and r.content_type == "application/pdf"
        again = f.get(server.base + RUSK, expect="pdf", etag=r.etag)
        assert again.not_modified and again.body is None
        by_date = f.get(server.base + RUSK, expect="pdf", last_modified=r.last_modified)
        assert by_date.not_modified
    assert [h.status for h in server.hits(RUSK)] == [200, 304, 304]
    assert all("moa-archive" in h.user_agent for h in server.hits())


def test_user_agent_is_configurable(server):
    with fetcher(user_agent="test-agent/1") as f:
        f.get(server.source_url)
    assert server.hits()[0].user_agent == "test-agent/1"


def test_off_list_host_is_refused_without_a_request(server):
    port = server.base.rsplit(":", 1)[1]
    with fetcher() as f:
        with pytest.raises(HostNotAllowed, match="not on the allow-list"):
            f.get(f"http://localhost:{port}{RUSK}")
        with pytest.raises(HostNotAllowed):
            f.get("https://gcc02.safelinks.protection.outlook.com/?url=x")
        with pytest.raises(HostNotAllowed):
            f.get("file:///etc/passwd")
        assert f.requests == 0
    assert server.hits() == []


def test_redirects_are_checked_at_every_hop(server):
    port = server.base.rsplit(":", 1)[1]
    server.faults["/a"] = ("redirect", "/b")
    server.faults["/b"] = ("redirect", RUSK)
    server.faults["/off"] = ("redirect", f"http://localhost:{port}{RUSK}")
    with fetcher() as f:
        r = f.get(server.base + "/a", expect="pdf")
        assert r.final_url == server.base + RUSK and r.body.startswith(b"%PDF-")
        with pytest.raises(HostNotAllowed, match="redirected to http://localhost"):
            f.get(server.base + "/off")
    assert {h.host for h in server.hits()} == {f"127.0.0.1:{port}"}


def test_5xx_is_retried_with_back_off_4xx_is_not(server):
    server.faults[RUSK] = 500
    t = FakeTime()
    with fetcher(t=t, retries=3, delay=0.5) as f:
        with pytest.raises(FetchError, match="HTTP 500.*4 attempts") as e:
            f.get(server.base + RUSK)
        assert e.value.status == 500
        assert [s for s in t.sleeps if s >= 0.5] == [0.5, 1.0, 2.0]
        server.faults[RUSK] = 403
        with pytest.raises(FetchError, match="HTTP 403.*user-agent") as e:
            f.get(server.base + RUSK)
        assert e.value.status == 403
    assert [h.status for h in server.hits(RUSK)] == [500] * 4 + [403]


def test_flaky_server_succeeds_on_retry(server):
    server.faults[RUSK] = "flaky"
    with fetcher(retries=1) as f:
        r = f.get(server.base + RUSK, expect="pdf")
    assert r.attempts == 2 and [h.status for h in server.hits(RUSK)] == [500, 200]


def test_pause_between_requests_to_one_host(server):
    t = FakeTime()
    with fetcher(t=t, delay=1.5) as f:
        f.get(server.source_url)
        t.now += 0.5
        f.get(server.source_url)
    assert t.sleeps == [1.0]


@pytest.mark.parametrize("fault, expect, message", [
    ("html", "pdf", "not a PDF.*HTML page"),
    ("truncated", "pdf", "truncated"),
    ("big", "pdf", "over --max-bytes: more than 1000000"),
])
def test_unusable_bodies_fail(server, fault, expect, message):
    server.faults[RUSK] = fault
    server.big_size = 1_500_000
    with fetcher(retries=0, max_bytes=1_000_000) as f:
        with pytest.raises(FetchError, match=message):
            f.get(server.base + RUSK, expect=expect)


def test_declared_size_over_limit_fails_before_download(server):
    with fetcher(max_bytes=100_000) as f:
        with pytest.raises(FetchError, match="783801 bytes declared, limit 100000"):
            f.get(server.base + RUSK)
        assert f.bytes == 0


def test_workbook_signature_is_checked(server):
    with fetcher() as f:
        r = f.get(server.base + ROSTERS + server.participating, expect="xlsx")
        assert r.body.startswith(b"PK")
        with pytest.raises(FetchError, match="not an .xlsx workbook"):
            f.get(server.base + PROGRAM, expect="xlsx")


def test_timeouts_are_retried_then_fail(server):
    server.faults[RUSK] = ("slow", 1.0)
    with fetcher(retries=1, timeout=0.3) as f:
        with pytest.raises(FetchError, match="timed out after 0.3 s.*2 attempts"):
            f.get(server.base + RUSK)


def test_connection_refused(server):
    base = server.base
    server.__exit__(None, None, None)
    with fetcher(retries=1) as f:
        with pytest.raises(FetchError, match="cannot connect"):
            f.get(base + PROGRAM)

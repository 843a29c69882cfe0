"""Roster history: `roster_diff` between any two snapshots, `roster_history` over every
consecutive pair, `moa roster list|diff --from/--to/--all`, and the /roster page and API,
on real roster workbooks imported into real SQLite."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.core.errors import NotFound
from archive.harvest.importer import import_paths
from archive.status import roster_diff, roster_history, roster_snapshots
from cli import main
from store.datadir import DataDir
from web import create_app

LAWRENCE_TFM = ("ALABAMA", "Lawrence County Sheriff's Office", "TFM")
COLBERT_TFM = ("ALABAMA", "Colbert County Sheriff's Office", "TFM")
SHARED_ORDER = {
    "participating": ["participatingAgencies05162025am.xlsx", "participatingAgencies06172025pm.xlsx",
                      "participatingAgencies07012025pm.xlsx", "participatingAgencies07182025pm.xlsx"],
    "pending": ["pendingAgencies05152025am.xlsx", "pendingAgencies06102025am.xlsx",
                "pendingAgencies07012025pm.xlsx", "pendingAgencies07182025pm.xlsx"],
}


def rosters_archive(corpus: Path, data: Path) -> DataDir:
    d = DataDir(data)
    # imported newest first, so ids do not follow publication order by accident
    import_paths(d, sorted((corpus / "sheets").glob("*.xlsx"), reverse=True))
    return d


@pytest.fixture(scope="module")
def four_rosters(shared_corpus, tmp_path_factory) -> DataDir:
    """The shared corpus's 4 participating + 4 pending rosters, imported."""
    d = rosters_archive(shared_corpus, tmp_path_factory.mktemp("four-rosters") / "data")
    yield d
    d.close()


@pytest.fixture
def two_rosters(fixture_corpus, tmp_path) -> DataDir:
    d = rosters_archive(fixture_corpus, tmp_path / "data")
    yield d
    d.close()


def moa(d: DataDir, *args):
    return CliRunner().invoke(main, ["--data-dir", str(d.root), *args])


def keys(rows) -> set[tuple]:
    return {(r["state"], r["agency"], r["model"]) for r in rows}


def ids(d: DataDir, kind: str) -> dict[str, int]:
    return {s["file_name"]: s["id"] for s in roster_snapshots(d, kind)}


# --- library -------------------------------------------------------------------------------

def test_history_of_two_snapshots_is_the_default_diff(two_rosters):
    for kind in ("participating", "pending"):
        history = roster_history(two_rosters, kind)
        assert len(history) == 1
        assert history[0] == roster_diff(two_rosters, kind)
        d = history[0]
        assert d["counts"] == {k: len(d[k]) for k in ("added", "removed", "changed")}
        assert d["old"]["row_count"] > 0 and d["new"]["fetched_at"]
    assert LAWRENCE_TFM in keys(roster_history(two_rosters, "participating")[0]["added"])


def test_history_across_four_snapshots(four_rosters):
    snaps = roster_snapshots(four_rosters)
    assert len(snaps) == 8 and {s["kind"] for s in snaps} == {"participating", "pending"}
    for kind, names in SHARED_ORDER.items():
        history = roster_history(four_rosters, kind)
        assert len(history) == len(names) - 1 == 3
        assert [(h["old"]["file_name"], h["new"]["file_name"]) for h in history] == list(zip(names, names[1:]))
        assert all(h["kind"] == kind for h in history)
        for h in history:  # each pair is what roster_diff gives for those two ids
            assert h == roster_diff(four_rosters, kind, h["old"]["id"], h["new"]["id"])
        assert history[-1] == roster_diff(four_rosters, kind)

    part = roster_history(four_rosters, "participating")
    # Lawrence County's TFM agreement first appears on ICE's 1 July 2025 participating roster
    assert [LAWRENCE_TFM in keys(h["added"]) for h in part] == [False, True, False]
    # Colbert County's TFM: pending from 1 July, participating from 18 July
    assert [COLBERT_TFM in keys(h["added"]) for h in part] == [False, False, True]
    pend = roster_history(four_rosters, "pending")
    assert [COLBERT_TFM in keys(h["added"]) for h in pend] == [False, True, False]
    assert [COLBERT_TFM in keys(h["removed"]) for h in pend] == [False, False, True]
    # the whole span shows Lawrence's TFM added too, from the oldest snapshot to the newest
    span = roster_diff(four_rosters, "participating", old_id=part[0]["old"]["id"])
    assert span["new"] == part[-1]["new"] and LAWRENCE_TFM in keys(span["added"])


def test_picking_snapshots(four_rosters):
    part, pend = ids(four_rosters, "participating"), ids(four_rosters, "pending")
    june, july1 = part["participatingAgencies06172025pm.xlsx"], part["participatingAgencies07012025pm.xlsx"]
    # --to alone compares with the snapshot before it
    assert roster_diff(four_rosters, "participating", new_id=july1) == \
        roster_diff(four_rosters, "participating", june, july1)
    backwards = roster_diff(four_rosters, "participating", july1, june)
    assert LAWRENCE_TFM in keys(backwards["removed"]) and backwards["counts"]["added"] == 0
    with pytest.raises(NotFound, match=r"is a pending roster, not participating \(pass --kind pending"):
        roster_diff(four_rosters, "participating", old_id=pend["pendingAgencies05152025am.xlsx"])
    with pytest.raises(NotFound, match="no roster snapshot 999"):
        roster_diff(four_rosters, "participating", new_id=999)
    with pytest.raises(NotFound, match="is the oldest"):
        roster_diff(four_rosters, "participating", new_id=part["participatingAgencies05162025am.xlsx"])


def test_history_with_fewer_than_two_snapshots(fixture_corpus, tmp_path):
    d = DataDir(tmp_path / "data")
    assert roster_history(d, "participating") == []
    import_paths(d, [fixture_corpus / "sheets" / "participatingAgencies07182025pm.xlsx"])
    assert roster_history(d, "participating") == [] and len(roster_snapshots(d)) == 1
    d.close()


# --- CLI -----------------------------------------------------------------------------------

def test_cli_roster_list_and_diff_from_to(two_rosters):
    res = moa(two_rosters, "roster", "list", "--json")
    assert res.exit_code == 0, res.output
    listed = json.loads(res.stdout)
    assert [(s["kind"], s["file_name"]) for s in listed] == [
        ("pending", "pendingAgencies05152025am.xlsx"), ("participating", "participatingAgencies05162025am.xlsx"),
        ("pending", "pendingAgencies07182025pm.xlsx"), ("participating", "participatingAgencies07182025pm.xlsx")]
    assert all(s["row_count"] > 0 and s["fetched_at"] for s in listed)
    assert listed[-1]["published"] == "2025-07-18 pm " and listed[0]["url"] is None   # imported
    # The web's API lists the same snapshots, in the same order and shape, from the same function.
    from web import create_app
    api = create_app({"DATA_DIR": str(two_rosters.root), "TESTING": True}).test_client().get("/api/roster")
    assert api.status_code == 200 and api.get_json()["snapshots"] == listed
    text = moa(two_rosters, "roster", "list").output
    may = next(s for s in listed if s["file_name"] == "participatingAgencies05162025am.xlsx")
    assert f"{may['id']:>4}  participating  participatingAgencies05162025am.xlsx" in text

    july = next(s for s in listed if s["file_name"] == "participatingAgencies07182025pm.xlsx")
    forward = json.loads(moa(two_rosters, "roster", "diff", "--from", str(may["id"]), "--to", str(july["id"]),
                             "--json").stdout)
    assert forward == json.loads(moa(two_rosters, "roster", "diff", "--json").stdout)
    back = json.loads(moa(two_rosters, "roster", "diff", "--from", str(july["id"]), "--to", str(may["id"]),
                          "--json").stdout)
    assert keys(back["removed"]) == keys(forward["added"]) and keys(back["added"]) == keys(forward["removed"])
    res = moa(two_rosters, "roster", "diff", "--from", str(july["id"]), "--to", str(may["id"]))
    assert res.output.startswith("participatingAgencies07182025pm.xlsx -> participatingAgencies05162025am.xlsx: "
                                 f"{len(forward['removed'])} added, {len(forward['added'])} removed")

    pending = next(s for s in listed if s["kind"] == "pending")
    res = moa(two_rosters, "roster", "diff", "--from", str(pending["id"]))
    assert res.exit_code == 1 and "pass --kind pending" in res.output
    res = moa(two_rosters, "roster", "diff", "--kind", "pending", "--from", str(pending["id"]), "--json")
    assert json.loads(res.stdout)["new"]["file_name"] == "pendingAgencies07182025pm.xlsx"
    res = moa(two_rosters, "roster", "diff", "--all", "--to", str(july["id"]))
    assert res.exit_code == 2 and "leave out --from/--to" in res.output


def test_cli_roster_diff_all(four_rosters):
    res = moa(four_rosters, "roster", "diff", "--all", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == json.loads(json.dumps(roster_history(four_rosters, "participating")))
    text = moa(four_rosters, "roster", "diff", "--all", "--kind", "pending").output
    heads = [line for line in text.splitlines() if " -> " in line and not line.startswith("~")]
    names = SHARED_ORDER["pending"]
    assert [h.split(":")[0] for h in heads] == [f"{a} -> {b}" for a, b in zip(names, names[1:])]


# --- web -----------------------------------------------------------------------------------

def test_roster_page_and_api_show_every_pair(four_rosters):
    client = create_app({"DATA_DIR": str(four_rosters.root)}).test_client()
    r = client.get("/roster")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    for kind, names in SHARED_ORDER.items():
        history = roster_history(four_rosters, kind)
        heads = [f"<h3>{a} → {b}</h3>" for a, b in zip(names, names[1:])]
        positions = [body.index(h) for h in heads]
        assert positions == sorted(positions, reverse=True)  # newest pair first
        for h in history:
            c = h["counts"]
            assert f'id="change-{kind}-{h["old"]["id"]}-{h["new"]["id"]}"' in body
            assert f'{c["added"]} added · {c["removed"]} removed · {c["changed"]} changed' in body
        # only the newest pair of each roster starts open
        newest = history[-1]
        assert f'id="change-{kind}-{newest["old"]["id"]}-{newest["new"]["id"]}" open>' in body
        assert f'id="change-{kind}-{history[0]["old"]["id"]}-{history[0]["new"]["id"]}">' in body
    assert body.count('<details class="pair"') == 6
    assert "Lawrence County Sheriff&#39;s Office" in body

    api = client.get("/api/roster").json
    assert len(api["snapshots"]) == 8 and [c["kind"] for c in api["changes"]] == ["participating", "pending"]
    for kind in SHARED_ORDER:
        expected = json.loads(json.dumps(roster_history(four_rosters, kind)))
        assert api["history"][kind] == expected
        assert next(c for c in api["changes"] if c["kind"] == kind) == expected[-1]


def test_roster_page_with_one_snapshot_per_kind(fixture_corpus, tmp_path):
    d = DataDir(tmp_path / "data")
    import_paths(d, [fixture_corpus / "sheets" / "pendingAgencies07182025pm.xlsx"])
    client = create_app({"DATA_DIR": str(d.root)}).test_client()
    body = client.get("/roster").get_data(as_text=True)
    assert "Fewer than two participating snapshots" in body and "Fewer than two pending snapshots" in body
    assert client.get("/api/roster").json["history"] == {"participating": [], "pending": []}
    d.close()

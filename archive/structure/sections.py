"""The structure stage's sections tables (`segmentations`, `sections`): storing a
document's segmentation, reading it back, and the per-model/era completeness report.
The segmenter itself is pure and lives in ``segmenter``; ``stage`` runs it over the archive.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from archive.core.refs import resolve
from archive.structure.layouts import FRONT_MATTER  # noqa: F401  (compare reads it from here)
from archive.structure.segmenter import SEGMENTER_VERSION, Segmentation, segment  # noqa: F401
from store.datadir import DataDir
from store.db import utc_now


def store(conn, sha256: str, seg: Segmentation) -> None:
    """Replace the document's stored segmentation and sections by *seg* (caller's transaction)."""
    conn.execute("DELETE FROM sections WHERE sha256 = ?", (sha256,))
    conn.execute(
        "INSERT OR REPLACE INTO segmentations (sha256, segmenter_version, complete, layout,"
        " problems, segmented_at) VALUES (?, ?, ?, ?, ?, ?)",
        (sha256, SEGMENTER_VERSION, int(seg.complete), seg.layout, json.dumps(seg.problems), utc_now()))
    conn.executemany(
        "INSERT INTO sections (sha256, ord, key, number, title, parent_ord, first_page,"
        " last_page, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(sha256, s.ord, s.key, s.number, s.title, s.parent, s.first_page, s.last_page, s.text)
         for s in seg.sections])


def outdated(conn, force: bool = False) -> list[str]:
    """Extracted documents not yet segmented by this SEGMENTER_VERSION (all with *force*)."""
    return [r["sha256"] for r in conn.execute(
        "SELECT e.sha256 FROM extractions e LEFT JOIN segmentations s ON s.sha256 = e.sha256"
        " WHERE e.status IN ('ok', 'partial') AND (? OR s.sha256 IS NULL OR s.segmenter_version <> ?"
        " OR s.segmented_at < e.extracted_at)"
        " ORDER BY e.sha256", (int(force), SEGMENTER_VERSION))]


@dataclass
class StoredSection:
    """One stored section, as `moa sections --json` and the web (page and API) give it."""
    key: str
    number: str | None
    title: str | None
    first_page: int
    last_page: int
    parent: str | None          # the enclosing section's key (None at top level)
    depth: int = 0              # 0 at top level, 1 inside one section, ...

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DocumentSections:
    """A document's stored segmentation: its layout, whether every expected section was
    found (and if not, why), and its sections in document order."""
    sha256: str
    layout: str | None
    complete: bool
    problems: list[str]
    sections: list[StoredSection]

    def to_dict(self) -> dict:
        return asdict(self)


def document_sections(datadir: DataDir, ref: str) -> DocumentSections:
    """The sections of the document *ref* names (see archive.core.refs.resolve)."""
    sha256 = resolve(datadir.db, ref)
    rows = datadir.db.execute("SELECT * FROM sections WHERE sha256 = ? ORDER BY ord",
                              (sha256,)).fetchall()
    seg = datadir.db.execute("SELECT * FROM segmentations WHERE sha256 = ?", (sha256,)).fetchone()
    keys = {r["ord"]: r["key"] for r in rows}
    out: list[StoredSection] = []
    depth: dict[str, int] = {}
    for r in rows:
        parent = keys.get(r["parent_ord"])
        s = StoredSection(r["key"], r["number"], r["title"], r["first_page"], r["last_page"], parent,
                          0 if parent is None else depth.get(parent, 0) + 1)
        depth[s.key] = s.depth
        out.append(s)
    return DocumentSections(sha256,
                            layout=seg["layout"] if seg else None,
                            complete=bool(seg["complete"]) if seg else False,
                            problems=json.loads(seg["problems"] or "[]") if seg else ["not segmented yet"],
                            sections=out)


def era_of(signed: str | None, layout: str | None) -> str:
    """Template era for reports: from the roster's signing year, else from the layout."""
    if signed and signed[:4].isdigit():
        return "2019-2020" if int(signed[:4]) <= 2020 else signed[:4]
    if layout:
        return "2019-2020" if layout.endswith("2020") else "2025"
    return "unknown"


def report(datadir: DataDir) -> dict:
    """Per model and era: how many MOAs segmented completely; failures and why (an MOA
    that could not be read counts as a failure)."""
    rows = datadir.db.execute(
        "SELECT d.sha256, d.file_name, d.model, d.signed, s.complete, s.layout, s.problems,"
        " e.status AS extraction, e.error"
        " FROM documents d LEFT JOIN segmentations s ON s.sha256 = d.sha256"
        " LEFT JOIN extractions e ON e.sha256 = d.sha256"
        " WHERE d.kind IN ('moa', 'archive-moa') ORDER BY d.model, d.signed, d.file_name").fetchall()
    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(f"{r['model'] or '?'} {era_of(r['signed'], r['layout'])}",
                              {"documents": 0, "complete": 0, "layouts": {}, "failures": []})
        g["documents"] += 1
        g["layouts"][r["layout"]] = g["layouts"].get(r["layout"], 0) + 1
        if r["complete"]:
            g["complete"] += 1
        else:
            problems = json.loads(r["problems"] or "[]") if r["complete"] is not None else [
                f"not segmented: reading {r['extraction']}" + (f" ({r['error']})" if r["error"] else "")
                if r["extraction"] else "not segmented: not read yet"]
            g["failures"].append({"sha256": r["sha256"], "file_name": r["file_name"],
                                  "layout": r["layout"], "problems": problems})
    total = sum(g["documents"] for g in groups.values())
    done = sum(g["complete"] for g in groups.values())
    return {"documents": total, "complete": done,
            "percent": round(100.0 * done / total, 1) if total else 0.0,
            "groups": dict(sorted(groups.items()))}


def format_report(rep: dict) -> str:
    """The report for people: one line per model and era, then each failure and why."""
    out = [f"{rep['complete']}/{rep['documents']} documents segmented completely ({rep['percent']}%)"]
    for group, g in rep["groups"].items():
        layouts = ", ".join(f"{k or 'none'}: {n}" for k, n in sorted(g["layouts"].items(), key=str))
        out.append(f"  {group:<16} {g['complete']:>4}/{g['documents']:<4} complete   ({layouts})")
        for f in g["failures"]:
            out.append(f"      {f['file_name'] or f['sha256'][:12]} [{f['layout']}]: "
                       + "; ".join(f["problems"]))
    return "\n".join(out)

"""Compare results computed by the pipeline and stored, so that reading them is instant.

:func:`refresh_results` (run by the pipeline after the normalised-text cache) computes, per
program model, the deviation of every agreement from its baseline (score, per section status,
similarity and redline: a deviation page and its exports only read it), the
deviation ranking, the section keys and the variants of every section per era, and the
baselines; and the models table of every era. It stores them in ``compare_results``
(migration 008) in *groups* — one per model, and ``*`` for the models tables — each with
the digest of its inputs; a group is recomputed only when that digest changes (a document
of the model was added, cut again, re-read or re-described, or the code's versions moved).

:class:`Stored` reads them. Fresh results are returned as stored; results of a group whose
inputs changed since are returned marked ``"stale": true`` (the site says so) unless the
reader was made with ``live=True`` (the CLI), which computes fresh ones in memory instead.
A result that was never stored in a computed group (an unknown section key, a template,
an era without agreements) is computed on the spot: those are cheap. Nothing here writes
except :func:`refresh_results`.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterator

from archive.compare import analyses
from archive.compare.cache import Norms, refresh_cache, writable
from archive.compare.diff import redline
from archive.compare.loading import DOC_SQL, Db, conn_of, load_doc, template_for
from archive.compare.normalize import NORMALIZER_VERSION
from archive.core.errors import MoaError, NotFound
from archive.core.progress import NullProgress, Progress
from archive.core.refs import resolve
from store.db import transaction, utc_now

RESULTS_VERSION = 5     # bump when what the analyses return changes: every group is recomputed
                        # (4: deviations stored with their redlines; 5: right-spelled look-alike words are changes)
ALL = "*"               # the group of results that depend on every model (the models tables)


class NotComputed(MoaError):
    """The compare results asked for have not been computed by the pipeline yet."""


def _pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def _unpack(blob: bytes):
    return json.loads(zlib.decompress(blob))


def _era_key(era: str | None) -> str:
    return era or ""


def document_inputs(conn: sqlite3.Connection, shas: list[str] | None = None) -> list[tuple[str, list]]:
    """What a document's compare results depend on, per segmented document (of *shas*, else
    all, by sha256): ``[(model, [sha256, kind, file name, agency, state, signed, revision,
    when it was cut and read, layout]), ...]``."""
    where = f" WHERE x.sha256 IN ({','.join('?' * len(shas))})" if shas is not None else ""
    rows = conn.execute(
        "SELECT x.*, e.extracted_at FROM (" + DOC_SQL + ") x "
        "LEFT JOIN extractions e ON e.sha256 = x.sha256" + where + " ORDER BY x.sha256", shas or ()).fetchall()
    return [((r["model"] or "").upper(),
             [r["sha256"], r["kind"], r["file_name"], r["agency"], r["state"], r["signed"], r["revision"],
              r["segmented_at"], r["layout"], r["extracted_at"]]) for r in rows]


def current_inputs(conn: sqlite3.Connection) -> dict[str, tuple[str, int]]:
    """The digest of every group's inputs as the archive is now: group → (digest, documents)."""
    per: dict[str, list] = {}
    for model, inputs in document_inputs(conn):
        if model:
            per.setdefault(model, []).append(inputs)
    head = [RESULTS_VERSION, NORMALIZER_VERSION]
    def digest(x) -> str:       # the results' version first: see Stored.fresh
        return f"{RESULTS_VERSION}:" + hashlib.sha1(json.dumps([*head, x]).encode()).hexdigest()

    out = {m: (digest([m, docs]), len(docs)) for m, docs in per.items()}
    out[ALL] = (digest(sorted((m, d) for m, (d, _) in out.items())), sum(n for _, n in out.values()))
    return out


def _eras(conn, model: str | None = None) -> list[str]:
    return sorted({d.era for d in analyses.agreements(conn, model)})


def compute_group(conn: sqlite3.Connection, grp: str, norms: Norms, progress: Progress) -> Iterator[tuple]:
    """Every result of one group, one by one: ``(kind, key, result)``."""
    if grp == ALL:
        for era in sorted({*_eras(conn), "2025"}):
            yield "models", _era_key(era), analyses.models(conn, era)
        return
    ranked = {d.sha256 for d in analyses.ranked_agreements(conn, grp)}
    shared: dict = {}
    ranking = []
    for d in analyses.agreements(conn, grp):
        r = analyses.deviation(conn, d.sha256, _baselines=shared, norms=norms)
        yield "deviation", d.sha256, r
        if d.sha256 in ranked:
            ranking.append(analyses.deviation_row(r))
        progress.advance()
    yield "ranking", grp, ranking
    baselines = set()
    for (model, era, tsha), b in [(k, v) for k, v in shared.items() if k != "tokens"]:
        baselines.add(f"{model}|{era}|{tsha or ''}")
        yield "baseline", f"{model}|{era}|{tsha or ''}", _baseline_refs(b)
    eras = _eras(conn, grp)
    for era in [None, *eras]:
        keys = analyses.section_keys(conn, grp, era)
        yield "section_keys", f"{grp}|{_era_key(era)}", keys
        for k in keys:
            yield ("variants", f"{grp}|{_era_key(era)}|{k['key']}",
                   analyses.variants(conn, k["key"], grp, era, norms=norms))
    newest = template_for(conn, grp, None)
    for era in eras:
        key = f"{grp}|{era}|{newest or ''}"
        if key not in baselines:
            yield "baseline", key, _baseline_refs(analyses.baseline(conn, grp, era, norms=norms))


def _baseline_refs(b: analyses.Baseline) -> dict:
    """A baseline as stored: its description and, per slot, where its text is."""
    return {**b.to_dict(), "sections": {slot: [d.sha256, s.ord, support] for slot, (d, s, support) in b.sections.items()}}


def refresh_results(db: Db, progress: Progress | None = None) -> dict:
    """Recompute and store the groups whose inputs changed (the normalised-text cache is
    refreshed first). Returns ``{"groups": {grp: "fresh"|"computed"|"removed"}, "results": n}``.
    On a read-only archive nothing is computed."""
    conn = conn_of(db)
    progress = progress or NullProgress()
    refresh_cache(conn)
    if not writable(conn):
        return {"groups": {}, "results": 0, "read_only": True}
    now = current_inputs(conn)
    stored = dict(conn.execute("SELECT grp, inputs FROM compare_result_groups").fetchall())
    todo = [g for g in now if stored.get(g) != now[g][0]]
    todo.sort(key=lambda g: g == ALL)                       # the models tables last
    status = {g: "fresh" for g in now}
    progress.start(sum(now[g][1] for g in todo if g != ALL), "documents")
    norms = Norms(conn)
    for grp in todo:
        t0 = time.perf_counter()
        # packed as they come: a model's deviations with their redlines are ~100 KB each in memory
        rows = [(kind, key, _pack(result)) for kind, key, result in compute_group(conn, grp, norms, progress)]
        with transaction(conn):
            conn.execute("DELETE FROM compare_results WHERE grp = ?", (grp,))
            conn.execute("INSERT OR REPLACE INTO compare_result_groups VALUES (?, ?, ?, ?, ?)",
                         (grp, now[grp][0], now[grp][1], utc_now(), round(time.perf_counter() - t0, 3)))
            conn.executemany("INSERT OR REPLACE INTO compare_results VALUES (?, ?, ?, ?)",
                             [(kind, key, grp, blob) for kind, key, blob in rows])
        status[grp] = "computed"
    gone = set(stored) - set(now)                           # a model no document has any more
    if gone:
        with transaction(conn):
            for grp in gone:
                conn.execute("DELETE FROM compare_results WHERE grp = ?", (grp,))
                conn.execute("DELETE FROM compare_result_groups WHERE grp = ?", (grp,))
                status[grp] = "removed"
    progress.finish()
    total = conn.execute("SELECT COUNT(*) FROM compare_results").fetchone()[0]
    return {"groups": status, "results": total}


class Stored:
    """Reads stored compare results (see the module docstring for fresh, stale and live)."""

    def __init__(self, db: Db, *, live: bool = False):
        self.conn = conn_of(db)
        self.live = live
        self._now: dict | None = None
        self._stored: dict | None = None
        self._norms: Norms | None = None

    # -- freshness --------------------------------------------------------------------

    def _groups(self) -> tuple[dict, dict]:
        if self._now is None:
            self._now = current_inputs(self.conn)
            try:
                self._stored = dict(self.conn.execute("SELECT grp, inputs FROM compare_result_groups").fetchall())
            except sqlite3.OperationalError as e:      # an archive not migrated to 008 yet
                if "no such table" not in str(e):
                    raise
                self._stored = {}
        return self._now, self._stored

    def fresh(self, grp: str) -> bool | None:
        """True: stored and up to date; False: stored, inputs changed since; None: never stored
        (or stored by another version of this module, whose results have another shape)."""
        now, stored = self._groups()
        if grp not in stored or not stored[grp].startswith(f"{RESULTS_VERSION}:"):
            return None                 # never computed, or by a version whose results read differently
        return grp in now and stored[grp] == now[grp][0]

    def norms(self) -> Norms:
        self._norms = self._norms or Norms(self.conn)
        return self._norms

    def _get(self, kind: str, key: str, grp: str, compute):
        """The stored result, or (live, or a key the pipeline does not store) computed now."""
        state = self.fresh(grp)
        if self.live and state is not True:
            return compute()
        row = self.conn.execute("SELECT result FROM compare_results WHERE kind = ? AND key = ?",
                                (kind, key)).fetchone() if state is not None else None
        if row is None:
            if state is None:
                raise NotComputed(
                    "the compare results are computed by the pipeline and have not been yet: "
                    "run `moa process` (or `moa update`), then reload")
            return compute()
        result = _unpack(row[0])
        if state is False and isinstance(result, dict):
            result["stale"] = True
        return result

    # -- the analyses, from storage ------------------------------------------------------

    def _model_of(self, ref: str) -> tuple[str, str]:
        sha = resolve(self.conn, ref)
        row = self.conn.execute("SELECT x.model FROM (" + DOC_SQL + ") x WHERE x.sha256 = ?", (sha,)).fetchone()
        return sha, ((row["model"] or "").upper() if row else "")

    def deviation(self, ref: str, *, redlines: bool = True) -> dict:
        """The stored deviation of *ref* (score, per section status, similarity and redline;
        without *redlines*, the sections' redlines and texts are left out)."""
        sha, model = self._model_of(ref)
        if not model:
            return analyses.deviation(self.conn, sha)          # raises the reason (no sections, no model)
        r = self._get("deviation", sha, model, lambda: analyses.deviation(self.conn, sha, norms=self.norms()))
        if not redlines:
            for s in r["sections"]:
                s.pop("redline", None)
                s.pop("text", None)
        return r

    def top_deviations(self, n: int | None = 20, *, model: str | None = None, era: str | None = None,
                       include_unreliable: bool = False) -> list[dict]:
        now, _ = self._groups()
        rows: list[dict] = []
        for m in ([model.upper()] if model else [g for g in now if g != ALL]):
            if m not in now:
                continue
            rows += self._get("ranking", m, m, lambda m=m: [
                analyses.deviation_row(analyses.deviation(self.conn, d.sha256, redlines=False, norms=self.norms()))
                for d in analyses.ranked_agreements(self.conn, m)])
        return analyses.rank(rows, n, era=era, include_unreliable=include_unreliable)

    def section_keys(self, model: str, era: str | None = None) -> list[dict]:
        model = model.upper()
        if model not in self._groups()[0]:
            return []
        return self._get("section_keys", f"{model}|{_era_key(era)}", model,
                         lambda: analyses.section_keys(self.conn, model, era))

    def variants(self, key: str, model: str, era: str | None = None) -> dict:
        model = model.upper()
        compute = lambda: analyses.variants(self.conn, key, model, era, norms=self.norms())  # noqa: E731
        if model not in self._groups()[0]:
            return compute()                                   # raises: no agreements of that model
        return self._get("variants", f"{model}|{_era_key(era)}|{key}", model, compute)

    def models(self, era: str | None = "2025") -> dict:
        return self._get("models", _era_key(era), ALL, lambda: analyses.models(self.conn, era))

    def model_redline(self, slot: str, model_a: str, model_b: str, era: str | None = "2025") -> dict:
        """From the stored baselines: only the two sections are read and diffed."""
        a, b = model_a.upper(), model_b.upper()
        bases = []
        for m in (a, b):
            state = self.fresh(m) if m in self._groups()[0] else None
            usable = state is True or (state is False and not self.live)
            key = f"{m}|{era}|{template_for(self.conn, m, None) or ''}"
            row = self.conn.execute("SELECT result FROM compare_results WHERE kind = 'baseline' AND key = ?",
                                    (key,)).fetchone() if usable else None
            if row is None:
                return analyses.model_redline(self.conn, slot, a, b, era)
            bases.append(_unpack(row[0]))
        if slot not in bases[0]["sections"] or slot not in bases[1]["sections"]:
            raise NotFound(f"section {slot!r} is not in both the {a} and the {b} baseline")
        sides = []
        for base in bases:
            sha, ord_, _ = base["sections"][slot]
            d = load_doc(self.conn, sha)
            sec = next(s for s in d.sections if s.ord == ord_)
            sides += [self.norms().tokens(d, sec), sec.text]
        return {"slot": slot, "a": a, "b": b, "era": era, **redline(sides[0], sides[2], sides[1], sides[3])}

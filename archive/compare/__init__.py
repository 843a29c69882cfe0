"""Comparing agreements: redlines, deviation from the baseline, clause variants, models.

Everything works on the ``sections`` rows of the sections stage, aligned by canonical
section key (a key that occurs twice in one document gets the *slot* ``key#2``).
Texts are compared as word tokens after :mod:`archive.compare.normalize` removed fill-ins
(agency names, abbreviations, cities, addresses, dates, names) and OCR noise.

- :func:`compare_pair` — two agreements side by side: word-level redline per section.
- :func:`deviation` / :func:`top_deviations` — an agreement against its baseline: the
  harvested blank template of its model (``documents.kind='template'``) when we hold one,
  else the consensus of its model and era (the majority variant of each section).
- :func:`variants` — one section across every agreement of a model (and era), grouped
  into variants of near-identical text.
- :func:`models` — the baselines of every model side by side.

A difference is *material* when it changes words, not just their spelling by the OCR:
an inserted or deleted word of 3+ letters (or with a digit), a changed number, or a
replaced run whose letters differ substantially — but not a fill-in against a few words
(its value, unrecognised), nor text that only moved (a line the OCR read out of order).
Two texts are the same variant when no change between
them is material. Normalised section texts are cached in ``compare_sections``.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import combinations

from archive.core.refs import resolve
from archive.core.errors import NotFound
from archive.compare.normalize import GARBLED, NORMALIZER_VERSION, FillIns, Token, find_fillins, tokenize
from archive.core.progress import NullProgress, Progress
from archive.structure.sections import FRONT_MATTER, era_of
from store.datadir import DataDir
from store.db import transaction, utc_now

AGREEMENT_KINDS = ("moa", "archive-moa")
MODELS = ("JEM", "TFM", "TTFM", "WSO")
NOISE_CHAR_RATIO = 0.6      # a replaced run whose letters are at least this similar is OCR noise,
NOISE_MIN_CHARS = 3         # ... and so is one that differs by fewer letters than this
FILLIN_MAX_WORDS = 6        # a fill-in against up to this many words: an unrecognised value of it
MOVE_MIN_CHARS = 10         # a deleted run inserted elsewhere (letters this many, words this
MOVE_RATIO = 0.8            # similar) is moved, not changed
MOVE_MIN_WORDS = 6          # runs sharing this many words are noted as moved
CACHE_BATCH = 100           # documents normalised per cache transaction


Db = DataDir | sqlite3.Connection


def _conn(db: Db) -> sqlite3.Connection:
    return db.db if isinstance(db, DataDir) else db


# --- documents and their sections -------------------------------------------------------

@dataclass
class Section:
    ord: int
    key: str
    slot: str
    number: str | None
    title: str | None
    text: str
    parent_ord: int | None = None


@dataclass
class Doc:
    sha256: str
    file_name: str | None
    kind: str
    agency: str | None
    state: str | None
    model: str | None
    signed: str | None
    revision: str | None
    era: str
    sections: list[Section] = field(default_factory=list)
    fillins: FillIns = field(default_factory=FillIns)

    def meta(self) -> dict:
        return {"sha256": self.sha256, "file_name": self.file_name, "agency": self.agency,
                "state": self.state, "model": self.model, "signed": self.signed,
                "revision": self.revision, "era": self.era}


_DOC_SQL = """
SELECT d.sha256, d.file_name, d.kind, d.agency, d.state, d.signed,
       COALESCE(NULLIF(d.model, ''), d.template_model,
                (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'model' ORDER BY ord LIMIT 1)) AS model,
       (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'revision' ORDER BY ord LIMIT 1) AS revision,
       s.segmented_at, s.layout
FROM documents d JOIN segmentations s ON s.sha256 = d.sha256
"""


def _doc_from_row(row) -> Doc:
    return Doc(sha256=row["sha256"], file_name=row["file_name"], kind=row["kind"], agency=row["agency"],
               state=row["state"], model=(row["model"] or "").upper() or None, signed=row["signed"],
               revision=row["revision"], era=era_of(row["signed"], row["layout"]))


def load_doc(db: Db, ref: str) -> Doc:
    """A document with its sections and fill-ins, by anything :func:`resolve` accepts."""
    conn = _conn(db)
    sha = resolve(conn, ref)
    row = conn.execute(_DOC_SQL + " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"{ref}: this document has no sections yet; run `moa process` (it is cut into "
                       "sections after its pages are read)")
    doc = _doc_from_row(row)
    doc.sections = _sections(conn, sha)
    doc.fillins = _fillins(conn, doc)
    return doc


def _sections(conn: sqlite3.Connection, sha: str) -> list[Section]:
    seen: Counter = Counter()
    out = []
    for r in conn.execute("SELECT ord, key, number, title, text, parent_ord FROM sections "
                          "WHERE sha256 = ? ORDER BY ord", (sha,)):
        seen[r["key"]] += 1
        slot = r["key"] if seen[r["key"]] == 1 else f"{r['key']}#{seen[r['key']]}"
        out.append(Section(r["ord"], r["key"], slot, r["number"], r["title"], r["text"], r["parent_ord"]))
    return out


def _fillins(conn: sqlite3.Connection, doc: Doc) -> FillIns:
    facts: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute("SELECT name, value FROM facts WHERE sha256 = ? ORDER BY name, ord", (doc.sha256,)):
        facts[r["name"]].append(r["value"])
    text = "\n".join(s.text for s in doc.sections)
    return find_fillins(text, agency=doc.agency, state=doc.state, facts=facts)


def _tokens(doc: Doc, section: Section, **options) -> list[Token]:
    return tokenize(section.text, doc.fillins, **options)


# --- redline ---------------------------------------------------------------------------

def _is_material(a: list[str], b: list[str]) -> bool:
    """Whether replacing keys *a* by *b* is a real change (see module docstring)."""
    if not a or not b:                      # an insertion or deletion: what is not a fill-in counts
        return any((len(k) >= 3 or any(c.isdigit() for c in k)) and not k.startswith(("‹", GARBLED))
                   for k in a or b)
    a, b = [k.lstrip(GARBLED) for k in a], [k.lstrip(GARBLED) for k in b]
    if all(k.startswith("‹") for k in a) or all(k.startswith("‹") for k in b):
        # Fill-ins only, or a fill-in against a few words: its value, not recognised there.
        return max(len(a), len(b)) > FILLIN_MAX_WORDS
    ja, jb = "".join(a), "".join(b)
    if any(c.isdigit() for c in ja + jb) and [c for c in ja if c.isdigit()] != [c for c in jb if c.isdigit()]:
        return True
    sm = SequenceMatcher(None, ja, jb, autojunk=False)
    differing = len(ja) + len(jb) - 2 * sum(m.size for m in sm.get_matching_blocks())
    return differing >= NOISE_MIN_CHARS and sm.ratio() < NOISE_CHAR_RATIO


def _diff(a: list[str], b: list[str]) -> tuple[float, list[list]]:
    """Word diff of keys *a* → *b*: (similarity, ops), each op ``[tag, i1, i2, j1, j2,
    material, moved]``. A run deleted here and inserted there (the same words, up to noise)
    is *moved*: not material when that is all it is (e.g. a line the OCR read out of
    order); a longer run shared by a deletion and an insertion is noted as moved too."""
    sm = SequenceMatcher(None, a, b, autojunk=False)
    ops = [[tag, i1, i2, j1, j2, tag != "equal" and _is_material(a[i1:i2], b[j1:j2]), None]
           for tag, i1, i2, j1, j2 in sm.get_opcodes()]
    gone = [o for o in ops if o[0] in ("delete", "replace") and o[5]]
    came = [o for o in ops if o[0] in ("insert", "replace") and o[5]]
    moves = 0
    for d in gone:
        da = a[d[1]:d[2]]
        for i in came:
            ib = b[i[3]:i[4]]
            if i is d or i[6] or SequenceMatcher(None, da, ib, autojunk=False).real_quick_ratio() < 0.5:
                continue
            m = SequenceMatcher(None, da, ib, autojunk=False)
            whole = d[0] == "delete" and i[0] == "insert"
            if whole and len("".join(da)) >= MOVE_MIN_CHARS and m.ratio() >= MOVE_RATIO:
                moves += 1
                d[5] = i[5] = False
                d[6] = i[6] = moves
                break
            if m.find_longest_match(0, len(da), 0, len(ib)).size >= MOVE_MIN_WORDS:
                moves += 1
                d[6] = d[6] or moves
                i[6] = moves
                break
    return (round(sm.ratio(), 4) if a or b else 1.0), ops


def _join(tokens: list[Token]) -> str:
    """Display text of tokens; no space before what a fill-in was cut from ("LEA’s", "LEA,")."""
    return _TIGHT.sub("", " ".join(t for _, t in tokens))


_TIGHT = re.compile(r" (?=['’]s\b|[,.;:)])")


def _compare_keys(a: list[str], b: list[str]) -> tuple[float, int]:
    """(similarity, number of material changes) between two normalised texts."""
    similarity, ops = _diff(a, b)
    return similarity, sum(1 for o in ops if o[5])


def redline(a: list[Token], b: list[Token]) -> dict:
    """Word-level redline from *a* to *b*: ``{"similarity", "material", "ops": [...]}``.

    Each op is ``{"op": equal|delete|insert|replace, "a": text, "b": text, "material": bool}``
    (``a`` only for equal); text deleted in one place and inserted in another carries the
    same ``"moved"`` number on both ops.
    """
    similarity, diff = _diff([k for k, _ in a], [k for k, _ in b])
    ops = []
    for tag, i1, i2, j1, j2, material, moved in diff:
        op = {"op": tag, "a": _join(a[i1:i2])}
        if tag != "equal":
            op.update(b=_join(b[j1:j2]), material=material)
            if moved:
                op["moved"] = moved
        ops.append(op)
    return {"similarity": similarity, "material": sum(1 for o in ops if o.get("material")), "ops": ops}


def _ratio(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


# --- two agreements side by side -------------------------------------------------------

def compare_pair(db: Db, ref_a: str, ref_b: str, *, ignore_fillins: bool = True,
                 ignore_ocr_noise: bool = True) -> dict:
    """Two agreements aligned by canonical section, with a redline and similarity per section."""
    conn = _conn(db)
    a, b = load_doc(conn, ref_a), load_doc(conn, ref_b)
    opts = dict(ignore_fillins=ignore_fillins, ignore_ocr_noise=ignore_ocr_noise)
    by_a = {s.slot: s for s in a.sections}
    by_b = {s.slot: s for s in b.sections}
    rows, weight, matched = [], 0, 0.0
    for slot in _merged_order([s.slot for s in a.sections], [s.slot for s in b.sections]):
        sa, sb = by_a.get(slot), by_b.get(slot)
        row = {"slot": slot, "key": (sa or sb).key,
               "a": _section_meta(sa), "b": _section_meta(sb)}
        ta = _tokens(a, sa, **opts) if sa else []
        tb = _tokens(b, sb, **opts) if sb else []
        if sa and sb:
            rl = redline(ta, tb)
            row.update(status="same" if rl["material"] == 0 else "changed",
                       similarity=rl["similarity"], redline=rl["ops"], material=rl["material"])
        else:
            row.update(status="only_a" if sa else "only_b", similarity=0.0, material=None,
                       text=(sa or sb).text)
        if row["key"] != FRONT_MATTER:
            size = max(len(ta), len(tb))
            weight += size
            matched += size * row["similarity"]
        rows.append(row)
    return {"a": a.meta(), "b": b.meta(), "options": opts,
            "similarity": round(matched / weight, 4) if weight else 1.0,
            "counts": dict(Counter(r["status"] for r in rows)), "sections": rows}


def _section_meta(s: Section | None) -> dict | None:
    return None if s is None else {"ord": s.ord, "number": s.number, "title": s.title}


def _merged_order(a: list[str], b: list[str]) -> list[str]:
    """Slots of *a* in order, with the slots only in *b* inserted after their predecessor."""
    out = list(a)
    for i, slot in enumerate(b):
        if slot in out:
            continue
        prev = next((b[j] for j in range(i - 1, -1, -1) if b[j] in out), None)
        out.insert(out.index(prev) + 1 if prev else 0, slot)
    return out


# --- the cache of normalised section texts ---------------------------------------------

@dataclass
class NormSection:
    sha256: str
    ord: int
    slot: str
    norm: str
    digest: str
    words: int


def _stale(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT d.sha256 FROM documents d JOIN segmentations s ON s.sha256 = d.sha256 "
        "LEFT JOIN compare_docs c ON c.sha256 = d.sha256 "
        "WHERE c.sha256 IS NULL OR c.normalizer_version != ? OR c.segmented_at IS NOT s.segmented_at "
        "OR c.agency IS NOT d.agency OR c.state IS NOT d.state", (NORMALIZER_VERSION,))]


def _normalise_doc(conn: sqlite3.Connection, sha: str) -> tuple[Doc, list[NormSection]]:
    doc = load_doc(conn, sha)
    rows = []
    for s in doc.sections:
        keys = [k for k, _ in _tokens(doc, s)]
        norm = " ".join(keys)
        rows.append(NormSection(sha, s.ord, s.slot, norm, hashlib.sha1(norm.encode()).hexdigest(), len(keys)))
    return doc, rows


def refresh_cache(db: Db, progress: Progress | None = None) -> dict:
    """Recompute the cached normalised sections of every document whose sections, agency or
    the normaliser changed since. Returns ``{"refreshed": n, "cached": m}``.
    On a read-only archive nothing is written (callers then normalise in memory)."""
    conn = _conn(db)
    progress = progress or NullProgress()
    stale = _stale(conn)
    if stale and not _writable(conn):
        return {"refreshed": 0, "cached": conn.execute("SELECT COUNT(*) FROM compare_docs").fetchone()[0],
                "read_only": True}
    progress.start(len(stale), "documents")
    for start in range(0, len(stale), CACHE_BATCH):
        batch = [_normalise_doc(conn, sha) for sha in stale[start:start + CACHE_BATCH]]
        with transaction(conn):
            for doc, rows in batch:
                conn.execute("DELETE FROM compare_sections WHERE sha256 = ?", (doc.sha256,))
                conn.executemany("INSERT INTO compare_sections VALUES (?, ?, ?, ?, ?, ?)",
                                 [(r.sha256, r.ord, r.slot, r.norm, r.digest, r.words) for r in rows])
                conn.execute("INSERT OR REPLACE INTO compare_docs VALUES (?, ?, "
                             "(SELECT segmented_at FROM segmentations WHERE sha256 = ?), ?, ?, ?, ?)",
                             (doc.sha256, NORMALIZER_VERSION, doc.sha256, doc.agency, doc.state,
                              json.dumps(doc.fillins.to_dict(), ensure_ascii=False), utc_now()))
        progress.advance(len(batch))
    progress.finish()
    total = conn.execute("SELECT COUNT(*) FROM compare_docs").fetchone()[0]
    return {"refreshed": len(stale), "cached": total}


def _writable(conn: sqlite3.Connection) -> bool:
    try:
        with transaction(conn):
            conn.execute("DELETE FROM compare_docs WHERE 0")
        return True
    except sqlite3.OperationalError as e:
        if "readonly" in str(e):
            return False
        raise


_MEMO: dict[tuple, list[NormSection]] = {}     # read-only archives: normalised once per process
_MEMO_MAX = 20_000


class _Norms:
    """Normalised sections of many documents: from the cache table when fresh, else computed
    (and kept in memory) — on a read-only archive, or one made before the table existed."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        try:
            refresh_cache(conn)
            self.stale = set(_stale(conn))  # left over only on a read-only connection
            self.table = True
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise
            self.table = False
            self.stale = {r[0] for r in conn.execute("SELECT sha256 FROM segmentations")}
        self._when = dict(conn.execute("SELECT sha256, segmented_at FROM segmentations").fetchall()) \
            if self.stale else {}

    def slot(self, slot: str, shas: list[str]) -> dict[str, NormSection]:
        """The section *slot* of each of *shas* that has it: sha256 → NormSection."""
        out: dict[str, NormSection] = {}
        wanted = set(shas)
        if self.table:
            for r in self.conn.execute("SELECT sha256, ord, slot, norm, digest, words FROM compare_sections "
                                       "WHERE slot = ?", (slot,)):
                if r["sha256"] in wanted and r["sha256"] not in self.stale:
                    out[r["sha256"]] = NormSection(*r)
        for sha in wanted & self.stale:
            for ns in self.doc(sha):
                if ns.slot == slot:
                    out[sha] = ns
        return out

    def doc(self, sha: str) -> list[NormSection]:
        if sha in self.stale:
            key = (sha, self._when.get(sha), NORMALIZER_VERSION)
            if key not in _MEMO:
                if len(_MEMO) > _MEMO_MAX:
                    _MEMO.clear()
                _MEMO[key] = _normalise_doc(self.conn, sha)[1]
            return _MEMO[key]
        return [NormSection(*r) for r in self.conn.execute(
            "SELECT sha256, ord, slot, norm, digest, words FROM compare_sections WHERE sha256 = ? ORDER BY ord",
            (sha,))]


def agreements(db: Db, model: str | None = None, era: str | None = None) -> list[Doc]:
    """Segmented agreements (no templates), optionally of one model and era, oldest first."""
    conn = _conn(db)
    rows = conn.execute(_DOC_SQL + f" WHERE d.kind IN ({','.join('?' * len(AGREEMENT_KINDS))})"
                        " ORDER BY d.signed, d.sha256", AGREEMENT_KINDS).fetchall()
    docs = [_doc_from_row(r) for r in rows]
    return [d for d in docs if (model is None or d.model == model.upper()) and (era is None or d.era == era)]


# --- variants of one clause ------------------------------------------------------------

def cluster(texts: dict[str, str]) -> list[list[str]]:
    """Group ids by their normalised texts (id → space-separated keys) into variants:
    identical texts first, then each distinct text joins the first (largest) variant whose
    representative it differs from by no material change. Largest variant first; within a
    variant, the ids of the representative text come first."""
    by_text: dict[str, list[str]] = defaultdict(list)
    for id_, norm in texts.items():
        by_text[norm].append(id_)
    groups: list[tuple[list[str], list[str]]] = []          # (representative keys, ids)
    for norm in sorted(by_text, key=lambda t: (-len(by_text[t]), t)):
        keys = norm.split()
        for rep, ids in groups:
            if SequenceMatcher(None, rep, keys, autojunk=False).real_quick_ratio() >= 0.5 \
                    and _same_variant(rep, keys):
                ids += by_text[norm]
                break
        else:
            groups.append((keys, list(by_text[norm])))
    return [ids for _, ids in sorted(groups, key=lambda g: -len(g[1]))]


def _same_variant(a: list[str], b: list[str]) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).quick_ratio() >= 0.7 and _compare_keys(a, b)[1] == 0


def variants(db: Db, key: str, model: str, era: str | None = None, *,
             redlines: bool = True) -> dict:
    """Every agreement's text of section *key* (a slot such as ``civil-rights``) in *model*
    (and *era*), grouped into variants. Each variant: count, agencies, its representative
    text and its redline against the majority variant."""
    conn = _conn(db)
    docs = {d.sha256: d for d in agreements(conn, model, era)}
    if not docs:
        raise NotFound(f"no segmented {model} agreements{f' of era {era}' if era else ''}: "
                       f"models held: {', '.join(_held_models(conn)) or 'none'}")
    norms = _Norms(conn)
    members = norms.slot(key, list(docs))
    if not members:
        raise NotFound(f"no {model} agreement has a section {key!r}; see `moa variants --list --model {model}`")
    groups = cluster({sha: ns.norm for sha, ns in members.items()})
    out = []
    majority_tokens = None
    for n, shas in enumerate(groups, start=1):
        rep_sha = shas[0]
        rep_doc = load_doc(conn, rep_sha)
        rep = next(s for s in rep_doc.sections if s.slot == key)
        toks = _tokens(rep_doc, rep)
        v = {"variant": n, "count": len(shas), "share": round(len(shas) / len(members), 4),
             "representative": rep_doc.meta(), "title": rep.title, "text": rep.text,
             "chars": len(rep.text), "distinct_texts": len({members[s].digest for s in shas}),
             "members": sorted((docs[s].meta() for s in shas),
                               key=lambda m: (m["signed"] or "", m["agency"] or ""))}
        if majority_tokens is None:
            majority_tokens = toks
            v["similarity_to_majority"] = 1.0
        else:
            rl = redline(majority_tokens, toks)
            v["similarity_to_majority"] = rl["similarity"]
            if redlines:
                v["redline"] = rl["ops"]
        out.append(v)
    missing = sorted(set(docs) - set(members))
    return {"key": key, "model": model.upper(), "era": era, "agreements": len(docs),
            "with_section": len(members), "without_section": [docs[s].meta() for s in missing],
            "variants": out}


def _held_models(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT model FROM documents WHERE model IS NOT NULL "
                                       "AND model != '' ORDER BY model")]


def section_keys(db: Db, model: str | None = None, era: str | None = None) -> list[dict]:
    """The section slots found in agreements (of *model*/*era*), with how many have each."""
    conn = _conn(db)
    docs = {d.sha256 for d in agreements(conn, model, era)}
    count: Counter = Counter()
    titles: dict[str, Counter] = defaultdict(Counter)
    first: dict[str, float] = {}
    for sha in docs:
        for s in _sections(conn, sha):
            count[s.slot] += 1
            titles[s.slot][s.title or ""] += 1
            first.setdefault(s.slot, s.ord)
    return [{"key": k, "agreements": count[k], "title": titles[k].most_common(1)[0][0]}
            for k in sorted(count, key=lambda k: (first[k], k))]


# --- baselines and deviation -----------------------------------------------------------

@dataclass
class Baseline:
    model: str
    era: str
    source: str                                   # template | consensus
    template: Doc | None
    # slot -> (Doc holding the text, Section, support count or None for a template)
    sections: dict[str, tuple[Doc, Section, int | None]]
    agreements: int


def _template_for(conn, model: str, revision: str | None) -> str | None:
    rows = conn.execute(
        "SELECT d.sha256, (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'revision' "
        "ORDER BY ord LIMIT 1) AS revision FROM documents d JOIN segmentations s ON s.sha256 = d.sha256 "
        "WHERE d.kind = 'template' AND UPPER(COALESCE(d.template_model, d.model)) = ? "
        "ORDER BY d.last_fetched_at DESC", (model.upper(),)).fetchall()
    for r in rows:
        if revision and r["revision"] == revision:
            return r["sha256"]
    return rows[0]["sha256"] if rows else None


def baseline(db: Db, model: str, era: str, *, revision: str | None = None,
             norms: _Norms | None = None) -> Baseline:
    """The baseline of *model* in *era*: the held blank template (the one of *revision* if
    we have it), else per section the majority variant among that model's agreements."""
    conn = _conn(db)
    model = model.upper()
    docs = agreements(conn, model, era)
    tsha = _template_for(conn, model, revision)
    if tsha:
        t = load_doc(conn, tsha)
        return Baseline(model, era, "template", t, {s.slot: (t, s, None) for s in t.sections}, len(docs))
    norms = norms or _Norms(conn)
    shas = [d.sha256 for d in docs]
    slots: Counter = Counter()
    order: dict[str, list[int]] = defaultdict(list)
    cut = 0                                       # agreements the sections stage could cut
    for d in docs:
        found = [ns for ns in norms.doc(d.sha256) if not ns.slot.startswith(FRONT_MATTER)]
        cut += bool(found)
        for ns in found:
            slots[ns.slot] += 1
            order[ns.slot].append(ns.ord)
    sections: dict[str, tuple[Doc, Section, int | None]] = {}
    loaded: dict[str, Doc] = {}
    # A section belongs to the consensus when at least half of the agreements have it.
    for slot in sorted((s for s in slots if slots[s] * 2 >= cut),
                       key=lambda s: sorted(order[s])[len(order[s]) // 2]):
        members = norms.slot(slot, shas)
        majority = cluster({sha: ns.norm for sha, ns in members.items()})[0]
        rep = majority[0]
        if rep not in loaded:
            loaded[rep] = load_doc(conn, rep)
        sections[slot] = (loaded[rep], next(s for s in loaded[rep].sections if s.slot == slot), len(majority))
    return Baseline(model, era, "consensus", None, sections, len(docs))


def _baseline_meta(b: Baseline) -> dict:
    return {"model": b.model, "era": b.era, "source": b.source, "agreements": b.agreements,
            "template": b.template.meta() if b.template else None}


def deviation(db: Db, ref: str, *, redlines: bool = True, _baselines: dict | None = None,
              norms: _Norms | None = None) -> dict:
    """One agreement against its baseline: per section similarity, material changes and (with
    *redlines*) the redline from baseline to agreement; and a deviation score in [0, 1]:
    1 − the length-weighted similarity, sections missing or extra counting as 0."""
    conn = _conn(db)
    doc = load_doc(conn, ref)
    if not doc.model:
        raise NotFound(f"{ref}: its model is unknown, so it has no baseline")
    cache = _baselines if _baselines is not None else {}
    bkey = (doc.model, doc.era, doc.revision)
    norms = norms or _Norms(conn)
    if bkey not in cache:
        cache[bkey] = baseline(conn, doc.model, doc.era, revision=doc.revision, norms=norms)
    base = cache[bkey]
    mine = {s.slot: s for s in doc.sections}
    cached = {(ns.sha256, ns.slot): ns.norm.split() for sha in {doc.sha256, *(d.sha256 for d, _, _ in
              base.sections.values())} for ns in norms.doc(sha)}

    def words(d: Doc, sec: Section) -> list[Token]:      # display tokens, or cached keys only
        return _tokens(d, sec) if redlines else [(k, "") for k in cached.get((d.sha256, sec.slot), [])]

    rows, weight, matched = [], 0, 0.0
    for slot in _merged_order(list(base.sections), [s.slot for s in doc.sections]):
        s = mine.get(slot)
        if slot in base.sections:
            bdoc, bsec, support = base.sections[slot]
            btoks = words(bdoc, bsec)
        else:
            bdoc = bsec = support = None
            btoks = []
        toks = words(doc, s) if s else []
        row = {"slot": slot, "key": (s or bsec).key, "title": (s or bsec).title,
               "number": s.number if s else None, "baseline_support": support}
        if s and bsec:
            if redlines:
                rl = redline(btoks, toks)
            else:
                sim, mat = _compare_keys([k for k, _ in btoks], [k for k, _ in toks])
                rl = {"similarity": sim, "material": mat}
            row.update(status="same" if rl["material"] == 0 else "changed", similarity=rl["similarity"],
                       material=rl["material"])
            if redlines:
                row["redline"] = rl["ops"]
        else:
            row.update(status="extra" if s else "missing", similarity=0.0, material=None)
            if redlines:
                row["text"] = (s or bsec).text
        if row["key"] != FRONT_MATTER:
            size = max(len(toks), len(btoks))
            weight += size
            matched += size * row["similarity"]
        rows.append(row)
    score = round(1 - matched / weight, 4) if weight else 0.0
    counts = Counter(r["status"] for r in rows)
    return {"document": doc.meta(), "baseline": _baseline_meta(base), "deviation": score,
            "counts": dict(counts), "sections": rows}


def top_deviations(db: Db, n: int | None = 20, *, model: str | None = None,
                   era: str | None = None, progress: Progress | None = None) -> list[dict]:
    """Agreements ranked by deviation from their baseline, most deviating first. Agreements
    the sections stage could not cut at all (no section found) are left out."""
    conn = _conn(db)
    progress = progress or NullProgress()
    docs = [d for d in agreements(conn, model, era) if d.model and conn.execute(
        "SELECT 1 FROM sections WHERE sha256 = ? AND key != ? LIMIT 1", (d.sha256, FRONT_MATTER)).fetchone()]
    progress.start(len(docs), "agreements")
    cache: dict = {}
    norms = _Norms(conn)
    out = []
    for d in docs:
        r = deviation(conn, d.sha256, redlines=False, _baselines=cache, norms=norms)
        changed = [s["slot"] for s in r["sections"] if s["status"] != "same"]
        out.append({**r["document"], "deviation": r["deviation"], "baseline": r["baseline"]["source"],
                    "changed": r["counts"].get("changed", 0), "missing": r["counts"].get("missing", 0),
                    "extra": r["counts"].get("extra", 0), "sections_differing": changed})
        progress.advance()
    progress.finish()
    out.sort(key=lambda r: (-r["deviation"], r["file_name"] or ""))
    return out[:n] if n else out


# --- model against model ---------------------------------------------------------------

def models(db: Db, era: str | None = "2025", which: list[str] | None = None) -> dict:
    """The baseline of each model in *era* side by side by canonical section, with the
    similarity of every pair of models per section."""
    conn = _conn(db)
    held = [m for m in _held_models(conn) if m in MODELS]
    which = [m.upper() for m in (which or held)]
    norms = _Norms(conn)
    bases: dict[str, Baseline] = {}
    for m in which:
        if agreements(conn, m, era) or _template_for(conn, m, None):
            bases[m] = baseline(conn, m, era, norms=norms)
    slots: list[str] = []
    for b in bases.values():
        slots = _merged_order(slots, list(b.sections))
    rows = []
    for slot in slots:
        cells, toks = {}, {}
        for m, b in bases.items():
            if slot in b.sections:
                d, s, support = b.sections[slot]
                cells[m] = {"title": s.title, "number": s.number, "text": s.text, "chars": len(s.text),
                            "support": support, "source": d.meta()}
                toks[m] = [k for k, _ in _tokens(d, s)]
        sims = {f"{x}~{y}": round(_ratio(toks[x], toks[y]), 4) for x, y in combinations(toks, 2)}
        rows.append({"slot": slot, "models": cells, "similarity": sims})
    return {"era": era, "models": {m: _baseline_meta(b) for m, b in bases.items()}, "sections": rows}


def model_redline(db: Db, slot: str, model_a: str, model_b: str,
                  era: str | None = "2025") -> dict:
    """Redline of one section from model *a*'s baseline to model *b*'s."""
    conn = _conn(db)
    norms = _Norms(conn)
    ba, bb = baseline(conn, model_a, era, norms=norms), baseline(conn, model_b, era, norms=norms)
    if slot not in ba.sections or slot not in bb.sections:
        raise NotFound(f"section {slot!r} is not in both the {model_a} and the {model_b} baseline")
    (da, sa, _), (db, sb, _) = ba.sections[slot], bb.sections[slot]
    return {"slot": slot, "a": model_a.upper(), "b": model_b.upper(), "era": era,
            **redline(_tokens(da, sa), _tokens(db, sb))}


# --- plain-text and tabular forms (CLI, CSV) -------------------------------------------

def redline_text(ops: list[dict], *, material_only: bool = False) -> str:
    """A redline as text: ``[-deleted-]{+inserted+}`` (wdiff style); moved runs get ``(moved N)``.
    With *material_only*, noise-only changes show as the new text."""
    out = []
    for op in ops:
        if op["op"] == "equal":
            out.append(op["a"])
            continue
        if material_only and not op.get("material"):
            out.append(op["b"] or op["a"] if op["op"] != "delete" else "")
            continue
        mark = f"(moved {op['moved']})" if op.get("moved") else ""
        if op["a"]:
            out.append(f"[-{op['a']}-]{mark if op['op'] == 'delete' else ''}")
        if op.get("b"):
            out.append(f"{{+{op['b']}+}}{mark}")
    return " ".join(x for x in out if x)


def deviation_table(rows: list[dict]) -> list[dict]:
    """:func:`top_deviations` rows flattened for CSV."""
    return [{**{k: v for k, v in r.items() if k != "sections_differing"},
             "sections_differing": ";".join(r["sections_differing"])} for r in rows]


def variants_table(result: dict) -> list[dict]:
    """:func:`variants` as one row per agreement: its variant and that variant's count."""
    return [{"key": result["key"], "model": result["model"], "variant": v["variant"], "count": v["count"],
             "similarity_to_majority": v["similarity_to_majority"], **m}
            for v in result["variants"] for m in v["members"]]


def models_table(result: dict) -> list[dict]:
    """:func:`models` as one row per section and model (texts left out)."""
    return [{"slot": r["slot"], "model": m, "title": c["title"], "number": c["number"], "chars": c["chars"],
             "support": c["support"], "source_sha256": c["source"]["sha256"],
             **{f"similarity {pair}": sim for pair, sim in r["similarity"].items() if m in pair.split("~")}}
            for r in result["sections"] for m, c in r["models"].items()]

"""The analyses: two agreements side by side, one against its baseline, one clause across
agreements (variants), and model against model. Each reads through :mod:`.loading` and
:mod:`.cache` and diffs with :mod:`.diff`; none writes."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from archive.compare.cache import Norms
from archive.compare.diff import cluster, compare_keys, merged_order, ratio, redline
from archive.compare.loading import (Db, Doc, SectionText, agreements, conn_of, has_cut_sections,
                                     held_models, load_doc, slot_titles, template_for,
                                     text_reliability)
from archive.compare.normalize import Token
from archive.core.errors import NotFound
from archive.core.progress import NullProgress, Progress
from archive.core.vocabulary import MODELS
from archive.structure.sections import FRONT_MATTER



# --- two agreements side by side -------------------------------------------------------

def compare_pair(db: Db, ref_a: str, ref_b: str, *, ignore_fillins: bool = True,
                 ignore_ocr_noise: bool = True, norms: Norms | None = None) -> dict:
    """Two agreements aligned by canonical section, with a redline and similarity per section."""
    conn = conn_of(db)
    norms = norms or Norms(conn)
    a, b = load_doc(conn, ref_a), load_doc(conn, ref_b)
    opts = dict(ignore_fillins=ignore_fillins, ignore_ocr_noise=ignore_ocr_noise)
    by_a = {s.slot: s for s in a.sections}
    by_b = {s.slot: s for s in b.sections}
    rows, weight, matched = [], 0, 0.0
    for slot in merged_order([s.slot for s in a.sections], [s.slot for s in b.sections]):
        sa, sb = by_a.get(slot), by_b.get(slot)
        row = {"slot": slot, "key": (sa or sb).key,
               "a": _section_meta(sa), "b": _section_meta(sb)}
        ta = norms.tokens(a, sa, **opts) if sa else []
        tb = norms.tokens(b, sb, **opts) if sb else []
        if sa and sb:
            rl = redline(ta, tb, sa.text, sb.text)
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


def _section_meta(s: SectionText | None) -> dict | None:
    return None if s is None else {"ord": s.ord, "number": s.number, "title": s.title,
                                   "pages": list(s.pages) if s.pages else None}


# --- variants of one clause ------------------------------------------------------------

def variants(db: Db, key: str, model: str, era: str | None = None, *,
             redlines: bool = True, norms: Norms | None = None) -> dict:
    """Every agreement's text of section *key* (a slot such as ``civil-rights``) in *model*
    (and *era*), grouped into variants. Each variant: count, agencies, its representative
    text and its redline against the majority variant."""
    conn = conn_of(db)
    docs = {d.sha256: d for d in agreements(conn, model, era)}
    if not docs:
        raise NotFound(f"no segmented {model} agreements{f' of era {era}' if era else ''}: "
                       f"models held: {', '.join(held_models(conn)) or 'none'}")
    norms = norms or Norms(conn)
    members = norms.slot(key, list(docs))
    if not members:
        raise NotFound(f"no {model} agreement has a section {key!r}; see `moa variants --list --model {model}`")
    groups = cluster({sha: ns.norm for sha, ns in members.items()})
    out = []
    majority_tokens = None
    for n, shas in enumerate(groups, start=1):
        rep_sha = shas[0]
        rep_doc = load_doc(conn, rep_sha)
        rep = rep_doc.section(key)
        toks = norms.tokens(rep_doc, rep)
        v = {"variant": n, "count": len(shas), "share": round(len(shas) / len(members), 4),
             "representative": rep_doc.meta(), "title": rep.title, "text": rep.text,
             "chars": len(rep.text), "distinct_texts": len({members[s].digest for s in shas}),
             "members": sorted((docs[s].meta() for s in shas),
                               key=lambda m: (m["signed"] or "", m["agency"] or ""))}
        if majority_tokens is None:
            majority_tokens, majority_text = toks, rep.text
            v["similarity_to_majority"] = 1.0
        else:
            rl = redline(majority_tokens, toks, majority_text, rep.text)
            v["similarity_to_majority"] = rl["similarity"]
            if redlines:
                v["redline"] = rl["ops"]
        out.append(v)
    missing = sorted(set(docs) - set(members))
    return {"key": key, "model": model.upper(), "era": era, "agreements": len(docs),
            "with_section": len(members), "without_section": [docs[s].meta() for s in missing],
            "variants": out}


def section_keys(db: Db, model: str | None = None, era: str | None = None) -> list[dict]:
    """The section slots found in agreements (of *model*/*era*), with how many have each."""
    conn = conn_of(db)
    count, titles, first = slot_titles(conn, {d.sha256 for d in agreements(conn, model, era)})
    return [{"key": k, "agreements": count[k], "title": titles[k].most_common(1)[0][0]}
            for k in sorted(count, key=lambda k: (first[k], k))]


# --- baselines and deviation -----------------------------------------------------------

@dataclass
class Baseline:
    model: str
    era: str
    source: str                                   # template | consensus
    template: Doc | None
    # slot -> (Doc holding the text, SectionText, support count or None for a template)
    sections: dict[str, tuple[Doc, SectionText, int | None]]
    agreements: int

    def to_dict(self) -> dict:
        return {"model": self.model, "era": self.era, "source": self.source, "agreements": self.agreements,
                "template": self.template.meta() if self.template else None}


def baseline(db: Db, model: str, era: str, *, revision: str | None = None,
             norms: Norms | None = None) -> Baseline:
    """The baseline of *model* in *era*: the held blank template (the one of *revision* if
    we have it), else per section the majority variant among that model's agreements."""
    conn = conn_of(db)
    model = model.upper()
    docs = agreements(conn, model, era)
    tsha = template_for(conn, model, revision)
    if tsha:
        t = load_doc(conn, tsha)
        return Baseline(model, era, "template", t, {s.slot: (t, s, None) for s in t.sections}, len(docs))
    norms = norms or Norms(conn)
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
    sections: dict[str, tuple[Doc, SectionText, int | None]] = {}
    loaded: dict[str, Doc] = {}
    # A section belongs to the consensus when at least half of the agreements have it.
    for slot in sorted((s for s in slots if slots[s] * 2 >= cut),
                       key=lambda s: sorted(order[s])[len(order[s]) // 2]):
        members = norms.slot(slot, shas)
        majority = cluster({sha: ns.norm for sha, ns in members.items()})[0]
        # Any member of the majority reads the same up to fill-ins and noise: prefer one
        # already holding other sections, so a baseline is read from few documents.
        rep = next((sha for sha in majority if sha in loaded), majority[0])
        if rep not in loaded:
            loaded[rep] = load_doc(conn, rep)
        sections[slot] = (loaded[rep], loaded[rep].section(slot), len(majority))
    return Baseline(model, era, "consensus", None, sections, len(docs))


def deviation(db: Db, ref: str, *, redlines: bool = True, _baselines: dict | None = None,
              norms: Norms | None = None) -> dict:
    """One agreement against its baseline: per section similarity, material changes and (with
    *redlines*) the redline from baseline to agreement; and a deviation score in [0, 1]:
    1 − the length-weighted similarity, sections missing or extra counting as 0. Its
    ``reliability`` says how much of its text could be read (:func:`text_reliability`).
    *_baselines*: a dict shared by calls over many documents (baselines and their tokens)."""
    conn = conn_of(db)
    doc = load_doc(conn, ref)
    if not doc.model:
        raise NotFound(f"{ref}: its model is unknown, so it has no baseline")
    cache = _baselines if _baselines is not None else {}
    # A consensus does not depend on the revision; only which template is held does.
    bkey = (doc.model, doc.era, template_for(conn, doc.model, doc.revision))
    norms = norms or Norms(conn)
    if bkey not in cache:
        cache[bkey] = baseline(conn, doc.model, doc.era, revision=doc.revision, norms=norms)
    base = cache[bkey]
    memo = cache.setdefault("tokens", {})
    mine = {s.slot: s for s in doc.sections}
    cached = {(ns.sha256, ns.slot): ns.norm.split() for sha in {doc.sha256, *(d.sha256 for d, _, _ in
              base.sections.values())} for ns in norms.doc(sha)}

    def words(d: Doc, sec: SectionText) -> list[Token]:      # display tokens, or cached keys only
        if not redlines:
            return [(k, "") for k in cached.get((d.sha256, sec.slot), [])]
        if d is doc:
            return norms.tokens(d, sec)
        if (d.sha256, sec.slot) not in memo:
            memo[(d.sha256, sec.slot)] = norms.tokens(d, sec)
        return memo[(d.sha256, sec.slot)]

    rows, weight, matched = [], 0, 0.0
    for slot in merged_order(list(base.sections), [s.slot for s in doc.sections]):
        s = mine.get(slot)
        if slot in base.sections:
            bdoc, bsec, support = base.sections[slot]
            btoks = words(bdoc, bsec)
        else:
            bdoc = bsec = support = None
            btoks = []
        toks = words(doc, s) if s else []
        row = {"slot": slot, "key": (s or bsec).key, "title": (s or bsec).title,
               "number": s.number if s else None, "baseline_support": support,
               "pages": list(s.pages) if s and s.pages else None,       # where each text is, to cite
               "baseline_source": {**bdoc.meta(), "pages": list(bsec.pages) if bsec.pages else None}
               if bsec else None}
        if s and bsec:
            if redlines:
                rl = redline(btoks, toks, bsec.text, s.text)
            else:
                sim, mat = compare_keys([t[0] for t in btoks], [t[0] for t in toks])
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
    return {"document": doc.meta(), "baseline": base.to_dict(), "deviation": score,
            "counts": dict(counts), "reliability": text_reliability(conn, doc.sha256), "sections": rows}


def deviation_row(r: dict) -> dict:
    """The ranking row of one :func:`deviation` result."""
    return {**r["document"], "deviation": r["deviation"], "baseline": r["baseline"]["source"],
            "changed": r["counts"].get("changed", 0), "missing": r["counts"].get("missing", 0),
            "extra": r["counts"].get("extra", 0), "unreliable": r["reliability"]["unreliable"],
            "unreadable_pages": r["reliability"]["unreadable"],
            "sections_differing": [s["slot"] for s in r["sections"] if s["status"] != "same"]}


def rank(rows: list[dict], n: int | None = None, *, model: str | None = None, era: str | None = None,
         include_unreliable: bool = False) -> list[dict]:
    """Ranking rows filtered and ordered, most deviating first. Agreements whose text is
    unreliable are left out unless *include_unreliable*."""
    rows = [r for r in rows if (model is None or r["model"] == model.upper()) and (era is None or r["era"] == era)
            and (include_unreliable or not r["unreliable"])]
    rows.sort(key=lambda r: (-r["deviation"], r["file_name"] or ""))
    return rows[:n] if n else rows


def ranked_agreements(conn, model: str | None = None, era: str | None = None) -> list[Doc]:
    """The agreements a deviation ranking covers: of a known model, with sections cut."""
    return [d for d in agreements(conn, model, era) if d.model and has_cut_sections(conn, d.sha256)]


def top_deviations(db: Db, n: int | None = 20, *, model: str | None = None,
                   era: str | None = None, include_unreliable: bool = False,
                   progress: Progress | None = None) -> list[dict]:
    """Agreements ranked by deviation from their baseline, most deviating first. Agreements
    the sections stage could not cut at all (no section found), and those whose text is
    unreliable (unless *include_unreliable*), are left out."""
    conn = conn_of(db)
    progress = progress or NullProgress()
    docs = ranked_agreements(conn, model, era)
    progress.start(len(docs), "agreements")
    cache: dict = {}
    norms = Norms(conn)
    out = []
    for d in docs:
        out.append(deviation_row(deviation(conn, d.sha256, redlines=False, _baselines=cache, norms=norms)))
        progress.advance()
    progress.finish()
    return rank(out, n, include_unreliable=include_unreliable)


# --- model against model ---------------------------------------------------------------

def models(db: Db, era: str | None = "2025", which: list[str] | None = None) -> dict:
    """The baseline of each model in *era* side by side by canonical section, with the
    similarity of every pair of models per section."""
    conn = conn_of(db)
    held = [m for m in held_models(conn) if m in MODELS]
    which = [m.upper() for m in (which or held)]
    norms = Norms(conn)
    bases: dict[str, Baseline] = {}
    for m in which:
        if agreements(conn, m, era) or template_for(conn, m, None):
            bases[m] = baseline(conn, m, era, norms=norms)
    slots: list[str] = []
    for b in bases.values():
        slots = merged_order(slots, list(b.sections))
    rows = []
    for slot in slots:
        cells, toks = {}, {}
        for m, b in bases.items():
            if slot in b.sections:
                d, s, support = b.sections[slot]
                cells[m] = {"title": s.title, "number": s.number, "text": s.text, "chars": len(s.text),
                            "support": support, "source": d.meta()}
                toks[m] = [t.key for t in norms.tokens(d, s)]
        sims = {f"{x}~{y}": round(ratio(toks[x], toks[y]), 4) for x, y in combinations(toks, 2)}
        rows.append({"slot": slot, "models": cells, "similarity": sims})
    return {"era": era, "models": {m: b.to_dict() for m, b in bases.items()}, "sections": rows}


def model_redline(db: Db, slot: str, model_a: str, model_b: str,
                  era: str | None = "2025") -> dict:
    """Redline of one section from model *a*'s baseline to model *b*'s."""
    conn = conn_of(db)
    norms = Norms(conn)
    ba, bb = baseline(conn, model_a, era, norms=norms), baseline(conn, model_b, era, norms=norms)
    if slot not in ba.sections or slot not in bb.sections:
        raise NotFound(f"section {slot!r} is not in both the {model_a} and the {model_b} baseline")
    (da, sa, _), (db_, sb, _) = ba.sections[slot], bb.sections[slot]
    return {"slot": slot, "a": model_a.upper(), "b": model_b.upper(), "era": era,
            **redline(norms.tokens(da, sa), norms.tokens(db_, sb), sa.text, sb.text)}

"""Documents decided by set algebra (store.index.Reader.match_documents) against an
exhaustive scan of every unit's text.

The scan reads each document's units as archive.search.units gives them (every page
reading, its bridge over the break to the next page, every section, every form value),
analyses each text with the index's own tokenizer, and decides the query tree itself:
a phrase or proximity match inside one text, words and booleans anywhere in the
document, a section: query inside one section, fields on the document. Fuzzy and
wildcard terms stand for the index words the index expands them to (that list is the
index's to give). Search must return exactly the documents the scan finds; each page
whose own text matches is among the hit's pages, and every page listed is one where a
page, a section or a bridge matched. The queries are a fixed set of each kind plus
queries drawn from the texts (words found only on different pages, phrases that run
over a page break or past a stripped running footer), so they carry over to any archive."""
from __future__ import annotations

import random
from bisect import bisect_left

import pytest

from archive import search
from archive.search.query import parse
from archive.search.units import document_units, fingerprints
from archive.search.vocabulary import EXTRA_NAME, Splitter
from store import index as ix

FIXED = [
    '"notice to appear"', '"70 percent"', '"warrant service officer"', '"task force"',
    '"limited english proficiency"', '"in accordance with"', '"hold harmless"',
    '"notice appear"~3', '"officer authority"~10', '"immigration enforcement"~4',
    "detainers AND warrant", "detainer AND warrant", "training NOT certification",
    "(jail OR correctional) AND immigration", "(jail OR correctional) AND NOT detainer",
    '"notice to appear" AND fingerprinting', '"task force" OR "warrant service"',
    "=detainer OR =detainers", "detainer AND NOT detainer", "NOT training",
    "immigr*", "detain*", "supervis*", "perform~", "proficiency~", "jail/correctional~",
    "jaiVcorrectional~", '"limited english proficency~"', "jailcorrectional", "notify",
    "state:FL detainers", "state:TX", 'model:TFM "task force"', "model:WSO NOT warrant",
    "signed:[2025-01-01 TO 2025-06-30] complaint", "year:2020", "agency:sheriff training",
    "section:purpose", "section:purpose authority", 'section:"points of contact" officer',
    "section:training NOT certification", "section:liability liability", "section:appendix* detainer",
]


def _scan_units(d):
    """sha -> (doc unit, [(unit, {term: positions})]) for every document, as indexed."""
    splitter = Splitter.from_json(ix.read_extra(d.index_dir, EXTRA_NAME))
    out = {}
    for sha, fp in fingerprints(d.db).items():
        units = list(document_units(d.db, sha, fp, splitter))
        texts = []
        for u in units[:-1]:
            for name in ("content", "bridge"):
                if u.get(name):
                    terms: dict[str, list[int]] = {}
                    for t, p in ix.MoaTokenizer.terms(u[name]):
                        terms.setdefault(t, []).append(p)
                    texts.append((u, name, {t: sorted(ps) for t, ps in terms.items()}))
        out[sha] = (units[-1], texts)
    return out


def _slots_match(slots, slop, terms) -> bool:
    positions = [sorted({p for w in slot for p in terms.get(w, ())}) for slot in slots]
    if not all(positions):
        return False
    if slop <= 1:
        later = [set(p) for p in positions[1:]]
        return any(all(p + i in s for i, s in enumerate(later, start=1)) for p in positions[0])
    reach = positions[0]
    for nxt in positions[1:]:
        reach = [q for q in nxt if bisect_left(reach, q - slop) < bisect_left(reach, q)]
        if not reach:
            return False
    return True


def _text_leaf(leaf, terms, expand) -> bool:
    """A free-text leaf inside one text's terms."""
    if isinstance(leaf, ix.QWords):
        words = ix.analyze(leaf.text)
        if len(words) == 1:
            s = ix.stem(words[0])
            return any(w in terms for w in ({words[0], s, ix.STEM + s} if leaf.inflect else {words[0]}))
        return bool(words) and _slots_match([[w] for w in words], leaf.slop, terms)
    if isinstance(leaf, ix.QPhrase):
        slots = [[w] if dist is False else (expand(ix.QFuzzy(w, dist, leaf.field)) or [w])
                 for w, dist in zip(leaf.words, leaf.fuzzy)]
        return _slots_match(slots, leaf.slop, terms)
    if isinstance(leaf, ix.QPattern):
        return any(w in terms for w in expand(leaf))
    return any(w in terms for w in expand(ix.QFuzzy(leaf.text, leaf.maxdist, leaf.field)))


def _field_leaf(leaf, unit) -> bool:
    """A leaf on another field, on one unit's own fields."""
    if isinstance(leaf, ix.QWords):
        words, value = ix.analyze(leaf.text), ix.analyze(str(unit.get(leaf.field) or ""))
        return bool(words) and any(value[i:i + len(words)] == words for i in range(len(value)))
    value = unit.get(leaf.field)
    if value in (None, ""):
        return False
    values = value.split(",") if leaf.field == "sections" else [str(value)]
    if isinstance(leaf, ix.QExact):
        return leaf.value in values
    if isinstance(leaf, ix.QPrefix):
        return any(v.startswith(leaf.value) for v in values)
    if isinstance(leaf, ix.QRange):
        return any((leaf.lo is None or v >= leaf.lo) and (leaf.hi is None or v <= leaf.hi) for v in values)
    raise TypeError(leaf)


def decide(node, unit, texts, expand) -> bool:
    """*node* on a document (unit: its doc unit, texts: every text it holds) or on one
    section (unit: the section, texts: its own text)."""
    if isinstance(node, ix.QAll):
        return True
    if isinstance(node, ix.QAnd):
        return all(decide(i, unit, texts, expand) for i in node.items)
    if isinstance(node, ix.QOr):
        return any(decide(i, unit, texts, expand) for i in node.items)
    if isinstance(node, ix.QNot):
        return not decide(node.item, unit, texts, expand)
    if isinstance(node, ix.QFuzzy) and len(words := ix.analyze(node.text)) > 1:
        parts = [ix.QFuzzy(w, node.maxdist, node.field) for w in words]
        return (all(decide(p, unit, texts, expand) for p in parts)
                or decide(ix.QFuzzy("".join(words), node.maxdist, node.field), unit, texts, expand))
    if isinstance(node, ix.TEXT_LEAVES) and node.field == "content":
        return any(_text_leaf(node, terms, expand) for _, _, terms in texts)
    return _field_leaf(node, unit)


def scan(scanned, query: str, expand) -> dict[str, set[int]]:
    """sha -> the pages whose own text holds a positive free-text leaf, of each document
    the exhaustive scan finds."""
    tree = parse(query)
    leaves = ix.text_leaves(tree)
    out = {}
    for sha, (doc, texts) in scanned.items():
        if ix.targets_sections(tree):
            sections = [(u, [(u, n, t)]) for u, n, t in texts if u["kind"] == "section" and n == "content"]
            if not any(decide(tree, u, ts, expand) for u, ts in sections):
                continue
        elif not decide(tree, doc, texts, expand):
            continue
        out[sha] = {u["page"] for u, n, terms in texts if u["kind"] == "page" and n == "content"
                    and any(_text_leaf(leaf, terms, expand) for leaf in leaves)}
    return out


def drawn_queries(scanned, n: int = 12, seed: int = 13) -> list[str]:
    """Queries drawn from the texts: two words each found in a document only on pages
    the other is not on (AND across pages), and two adjacent words of a section that no
    page reading holds together (across a page break or a stripped footer)."""
    rng = random.Random(seed)
    out = []
    shas = sorted(scanned)
    rng.shuffle(shas)
    for sha in shas[:n]:
        _, texts = scanned[sha]
        pages = [(u["page"], set(w for w in terms if w.isalpha() and len(w) > 5))
                 for u, name, terms in texts if u["kind"] == "page" and name == "content"]
        if len(pages) >= 2:
            a = sorted(pages[0][1] - set().union(*(w for p, w in pages[1:])))
            b = sorted(pages[-1][1] - set().union(*(w for p, w in pages[:-1])))
            if a and b:
                out.append(f"={rng.choice(a)} AND ={rng.choice(b)}")
        page_texts = [" ".join(ix.analyze(u["content"])) for u, name, _ in texts
                      if u["kind"] in ("page", "form") and name == "content"]
        for u, name, _ in texts:
            if u["kind"] != "section":
                continue
            words = ix.analyze(u["content"])
            pairs = [f"{words[i]} {words[i + 1]} {words[i + 2]}" for i in range(len(words) - 2)
                     if all(w.isalpha() for w in words[i:i + 3])]
            alone = [p for p in pairs if not any(f" {p} " in f" {t} " for t in page_texts)]
            if alone:
                out.append(f'"{rng.choice(alone)}"')
                break
    return out


def check_equivalence(d) -> int:
    search.update_index(d)
    scanned = _scan_units(d)
    with ix.reading(d.index_dir) as r:
        expand = r.expand_leaf
        queries = FIXED + drawn_queries(scanned)
        problems = []
        for query in queries:
            want = scan(scanned, query, expand)
            hits = {h.sha256: h for h in search.search(d, query, all_results=True, seconds=float("inf")).hits}
            if set(hits) != set(want):
                problems.append(f"{query}: missed {sorted(s[:12] for s in set(want) - set(hits))}, "
                                f"found without it {sorted(s[:12] for s in set(hits) - set(want))}")
                continue
            if ix.targets_sections(parse(query)):
                continue
            for sha, pages in want.items():
                if not pages <= set(hits[sha].pages):
                    problems.append(f"{query}: {sha[:12]} pages {hits[sha].pages} lack {sorted(pages - set(hits[sha].pages))}")
    assert not problems, "\n".join(problems)
    return len(queries)


def test_set_algebra_equals_an_exhaustive_scan_on_fixture_text(text_archive):
    assert check_equivalence(text_archive) > len(FIXED)


@pytest.mark.corpus
def test_set_algebra_equals_an_exhaustive_scan_on_corpus_archive(corpus_archive):
    assert check_equivalence(corpus_archive) >= len(FIXED) + 12

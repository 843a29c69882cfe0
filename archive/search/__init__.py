"""Search: the query language, index units, running searches, snippets.

    query.py     the query language: a query string -> a query tree (parse)
    units.py     what is indexed per document, from the earlier stages' tables
    indexing.py  keeping the index current (update_index, rebuild_index)
    results.py   running searches: hits grouped by document, facets (search)
    snippets.py  snippets and highlighting

The Whoosh index itself (schema, query translation, generations, reader) is
store.index. This module only re-exports the public API.
"""
from archive.search.indexing import IndexRebuiltWarning, rebuild_index, update_index
from archive.search.query import (FACETS, FIELDS, MAX_CLAUSES, MAX_DEPTH, MAX_EXPANSIONS, MAX_NEGATIONS,
                                  MAX_QUERY_CHARS, MAX_SCANS, MAX_WILDCARDS, parse)
from archive.search.results import (MATCHES_PER_DOCUMENT, TIME_LIMIT, Match, SearchHit, SearchResult, Suggestion,
                                    highlight_patterns, search, search_terms_for_highlight, time_limit)
from archive.search.snippets import highlight_text, match_spans, snippet

__all__ = ["FACETS", "FIELDS", "MATCHES_PER_DOCUMENT", "MAX_CLAUSES", "MAX_DEPTH", "MAX_EXPANSIONS",
           "MAX_NEGATIONS", "MAX_QUERY_CHARS", "MAX_SCANS", "MAX_WILDCARDS", "IndexRebuiltWarning", "Match", "SearchHit",
           "SearchResult", "Suggestion", "highlight_patterns", "highlight_text", "match_spans", "parse",
           "rebuild_index", "search", "search_terms_for_highlight", "snippet", "TIME_LIMIT", "time_limit",
           "update_index"]

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
from archive.search.query import FACETS, FIELDS, MAX_CLAUSES, MAX_QUERY_CHARS, parse
from archive.search.results import (MATCHES_PER_DOCUMENT, Match, SearchHit, SearchResult, search,
                                    search_terms_for_highlight)
from archive.search.snippets import highlight_text, snippet

__all__ = ["FACETS", "FIELDS", "MATCHES_PER_DOCUMENT", "MAX_CLAUSES", "MAX_QUERY_CHARS",
           "IndexRebuiltWarning", "Match", "SearchHit", "SearchResult", "highlight_text", "parse",
           "rebuild_index", "search", "search_terms_for_highlight", "snippet", "update_index"]

-- Compare: results computed by the pipeline (`moa process` / `moa update`) and stored, so
-- that the compare pages, CSV and JSON answer without computing (derived data: safe to
-- delete, recomputed by the next `moa process`). See archive/compare/results.py.
--
-- Results come in groups: one per program model (every deviation of its agreements, its
-- ranking, its section keys and variants per era, its baselines) and '*' (the models
-- table of each era, which depends on every model). A group is recomputed, whole, when
-- the digest of its inputs (its documents' sections, metadata and readings, and the
-- versions of the normaliser and of the results) differs from the stored one.

CREATE TABLE compare_result_groups (
    grp         TEXT PRIMARY KEY,          -- a model code (JEM, TFM, ...) or '*'
    inputs      TEXT NOT NULL,             -- digest of the inputs the group was computed from
    documents   INTEGER NOT NULL,          -- documents among those inputs
    computed_at TEXT NOT NULL,
    seconds     REAL                       -- how long computing the group took
);

CREATE TABLE compare_results (
    kind   TEXT NOT NULL,                  -- deviation | ranking | section_keys | variants | baseline | models
    key    TEXT NOT NULL,                  -- sha256 | MODEL | MODEL|ERA | MODEL|ERA|SLOT | ERA
    grp    TEXT NOT NULL REFERENCES compare_result_groups(grp),
    result BLOB NOT NULL,                  -- zlib-compressed JSON: what the analysis returns
    PRIMARY KEY (kind, key)
);
CREATE INDEX compare_results_grp ON compare_results(grp);

-- Where each normalised word is in its section's text, so that redlines (which show the
-- agreement's own words) are drawn without normalising the text again: JSON
-- [[key, start, end], ...] over sections.text. Filled by the compare cache refresh.
ALTER TABLE compare_sections ADD COLUMN spans TEXT;

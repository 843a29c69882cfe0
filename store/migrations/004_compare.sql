-- Compare: normalised section texts, cached (derived data: safe to delete, rebuilt on use).
-- A document's rows are recomputed when its segmentation, its agency/state or the
-- normaliser changes (see archive/compare.py).

CREATE TABLE compare_docs (
    sha256             TEXT PRIMARY KEY REFERENCES files(sha256),
    normalizer_version INTEGER NOT NULL,       -- archive.compare.normalize.NORMALIZER_VERSION used
    segmented_at       TEXT,                   -- segmentations.segmented_at the rows were made from
    agency             TEXT,                   -- documents.agency / state at the time (fill-ins)
    state              TEXT,
    fillins            TEXT NOT NULL,          -- JSON: the fill-ins found (agency names, abbreviations, ...)
    cached_at          TEXT NOT NULL
);

CREATE TABLE compare_sections (
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    ord    INTEGER NOT NULL,                   -- sections.ord
    slot   TEXT NOT NULL,                      -- sections.key, with "#2", "#3" for repeats in one document
    norm   TEXT NOT NULL,                      -- normalised words (fill-ins and OCR noise removed), space-separated
    digest TEXT NOT NULL,                      -- sha1 of norm: equal digests = same text up to fill-ins and noise
    words  INTEGER NOT NULL,                   -- number of normalised words
    PRIMARY KEY (sha256, ord)
);
CREATE INDEX compare_sections_slot ON compare_sections(slot);

-- Structure: sections and sub-sections of each document, and the facts read from it.

CREATE TABLE segmentations (
    sha256            TEXT PRIMARY KEY REFERENCES files(sha256),
    segmenter_version INTEGER NOT NULL,
    complete          INTEGER NOT NULL,        -- 1 when every expected section was found, in order
    layout            TEXT,                    -- e.g. jem-wso-2020 | jem-wso-2025 | tfm-2025 | tfm-2025-01
    problems          TEXT,                    -- JSON list of what was missing or out of order
    segmented_at      TEXT NOT NULL
);

CREATE TABLE sections (
    sha256     TEXT NOT NULL REFERENCES files(sha256),
    ord        INTEGER NOT NULL,               -- 0, 1, ... in document order
    key        TEXT NOT NULL,                  -- canonical key shared across models, e.g. liability
    number     TEXT,                           -- as printed: "IV", "B", "7", "APPENDIX A"
    title      TEXT,                           -- as printed
    parent_ord INTEGER,                        -- ord of the enclosing section, NULL at top level
    first_page INTEGER NOT NULL,
    last_page  INTEGER NOT NULL,
    text       TEXT NOT NULL,                  -- clean text: headers, footers, page numbers removed
    PRIMARY KEY (sha256, ord)
);
CREATE INDEX sections_key ON sections(key);

CREATE TABLE facts (
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    name   TEXT NOT NULL,                      -- agency | model | revision | signed_ice | signed_agency | ice_signatory | agency_signatory | field_office | poc | addendum_present
    value  TEXT NOT NULL,
    page   INTEGER,                            -- where it was read
    ord    INTEGER NOT NULL DEFAULT 0,         -- for facts with several values
    PRIMARY KEY (sha256, name, ord)
);

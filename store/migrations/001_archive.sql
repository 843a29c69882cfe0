-- Harvest: requests, stored files, versions by URL, roster snapshots, agreements.
-- All times are ISO 8601 UTC strings ("2025-07-18T15:16:37Z"); dates are "YYYY-MM-DD".

-- One row per `moa harvest` / `moa import` / `moa update` run.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,                 -- harvest | import
    source_url  TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running', -- running | ok | partial | failed
    summary     TEXT                           -- JSON counts
);

-- Every HTTP request made, whatever its outcome.
CREATE TABLE fetches (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER REFERENCES runs(id),
    url           TEXT NOT NULL,               -- the URL asked for (SafeLinks already unwrapped)
    final_url     TEXT,                        -- after redirects
    purpose       TEXT NOT NULL,               -- program-page | roster-participating | roster-pending | moa | addendum | template | archive-page | archive-moa
    requested_at  TEXT NOT NULL,
    status        INTEGER,                     -- HTTP status; NULL when no response came
    bytes         INTEGER,                     -- body bytes received
    sha256        TEXT,                        -- of the body, when one was kept
    etag          TEXT,
    last_modified TEXT,
    content_type  TEXT,
    outcome       TEXT NOT NULL,               -- new | new-version | unchanged | not-modified | failed
    error         TEXT                         -- why it failed, for people
);
CREATE INDEX fetches_url ON fetches(url);
CREATE INDEX fetches_run ON fetches(run_id);

-- Every distinct file kept, once, by content. The bytes are at `path` under the data dir.
CREATE TABLE files (
    sha256          TEXT PRIMARY KEY,
    bytes           INTEGER NOT NULL,
    kind            TEXT NOT NULL,             -- moa | addendum | template | archive-moa | roster-participating | roster-pending | import
    file_name       TEXT,                      -- ICE's file name (last URL segment, decoded) or the imported file's name
    media_type      TEXT,
    path            TEXT NOT NULL,             -- relative to the data dir
    first_stored_at TEXT NOT NULL
);

-- The successive contents seen at one URL (or one imported path, as "file:" URL).
-- A changed file at the same URL gets the next version number; old versions stay.
CREATE TABLE versions (
    url              TEXT NOT NULL,
    version          INTEGER NOT NULL,         -- 1, 2, ...
    sha256           TEXT NOT NULL REFERENCES files(sha256),
    etag             TEXT,
    last_modified    TEXT,
    first_fetched_at TEXT NOT NULL,
    last_fetched_at  TEXT NOT NULL,            -- last time this content was confirmed (200 same bytes, or 304)
    fetch_id         INTEGER REFERENCES fetches(id),
    PRIMARY KEY (url, version)
);
CREATE INDEX versions_sha ON versions(sha256);

-- PDF documents (MOAs, addenda, templates, archived MOAs): one row per distinct file.
-- agency/state/model/signed come from the roster when the file is linked from it,
-- else from the archive page or ICE's file-naming patterns (see metadata_source).
CREATE TABLE documents (
    sha256           TEXT PRIMARY KEY REFERENCES files(sha256),
    kind             TEXT NOT NULL,            -- moa | addendum | template | archive-moa
    file_name        TEXT,
    url              TEXT,                     -- first URL it was fetched from; NULL for imports
    agreement_id     INTEGER REFERENCES agreements(id),
    agency           TEXT,
    state            TEXT,                     -- upper-case full name as ICE writes it, e.g. FLORIDA
    model            TEXT,                     -- JEM | TFM | WSO | TTFM
    signed           TEXT,                     -- YYYY-MM-DD
    template_model   TEXT,                     -- for kind=template: the model of the blank
    metadata_source  TEXT,                     -- roster | archive-page | file-name | import
    source           TEXT NOT NULL,            -- harvest | import | wayback (recovered: see wayback_recoveries, 009)
    first_fetched_at TEXT NOT NULL,
    last_fetched_at  TEXT NOT NULL
);

-- Roster workbooks: a new snapshot only when a workbook's bytes change.
CREATE TABLE roster_snapshots (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,                  -- participating | pending
    sha256     TEXT NOT NULL REFERENCES files(sha256),
    url        TEXT,
    file_name  TEXT,
    fetched_at TEXT NOT NULL,
    row_count  INTEGER NOT NULL,
    UNIQUE (kind, sha256)
);

-- Rows of each snapshot, as parsed (model normalised, ICE's text kept).
CREATE TABLE roster_rows (
    snapshot_id   INTEGER NOT NULL REFERENCES roster_snapshots(id),
    row_number    INTEGER NOT NULL,            -- spreadsheet row (1 = header)
    state         TEXT NOT NULL,
    agency        TEXT NOT NULL,               -- as ICE wrote it (trimmed)
    agency_key    TEXT NOT NULL,               -- normalised: one agency whatever its quotes/spaces
    agency_type   TEXT,                        -- TYPE column
    county        TEXT,
    support_type  TEXT,                        -- ICE's SUPPORT TYPE text
    model         TEXT,                        -- JEM | TFM | WSO | TTFM (NULL when unrecognised)
    signed        TEXT,                        -- YYYY-MM-DD
    moa_url       TEXT,                        -- unwrapped from SafeLinks
    addendum_url  TEXT,
    link_pending  INTEGER NOT NULL DEFAULT 0,  -- 1 when the MOA cell reads "link pending"
    PRIMARY KEY (snapshot_id, row_number)
);

-- Agreements: one per (state, agency, model), as the newest rosters list them.
CREATE TABLE agreements (
    id              INTEGER PRIMARY KEY,
    state           TEXT NOT NULL,
    agency          TEXT NOT NULL,
    agency_key      TEXT NOT NULL,
    agency_type     TEXT,
    county          TEXT,
    model           TEXT NOT NULL,             -- JEM | TFM | WSO | TTFM | '' when unknown
    support_type    TEXT,
    signed          TEXT,
    status          TEXT NOT NULL,             -- participating | pending | removed
    moa_url         TEXT,
    addendum_url    TEXT,
    link_pending    INTEGER NOT NULL DEFAULT 0,
    first_seen_snapshot INTEGER REFERENCES roster_snapshots(id),
    last_seen_snapshot  INTEGER REFERENCES roster_snapshots(id),
    UNIQUE (state, agency_key, model)
);

-- Watching ICE: saved searches (archive/watch) and files recovered from the Wayback
-- Machine (archive/harvest/wayback.py). All times are ISO 8601 UTC strings.

-- One row per saved search (`moa watch add NAME QUERY`).
CREATE TABLE watches (
    name        TEXT PRIMARY KEY,              -- as given: letters, digits, - _ .
    query       TEXT NOT NULL,                 -- in the search language (README, "Searching")
    created_at  TEXT NOT NULL,
    last_run_at TEXT                           -- last `moa watch run` (NULL: never run)
);

-- The documents a saved search matches, as of its last refresh (the pipeline or
-- `moa watch run`). A document that stops matching is dropped, so if it matches again
-- (re-read, say) it is reported again.
CREATE TABLE watch_matches (
    watch       TEXT NOT NULL REFERENCES watches(name) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,                 -- documents.sha256
    matched_at  TEXT NOT NULL,                 -- when it was first seen to match
    reported_at TEXT,                          -- when `moa watch run` reported it (NULL: not yet)
    PRIMARY KEY (watch, sha256)
);

-- One row per linked URL that answered 404/410 and was looked up in the Wayback Machine.
CREATE TABLE wayback_recoveries (
    url          TEXT PRIMARY KEY,             -- the dead URL, as the roster links it
    outcome      TEXT NOT NULL,                -- recovered | no-capture | not-pdf | failed
    checked_at   TEXT NOT NULL,                -- when the CDX API was last asked
    capture_url  TEXT,                         -- the raw capture fetched: .../web/TIMESTAMPid_/URL
    captured_at  TEXT,                         -- when the Wayback Machine captured it (from TIMESTAMP)
    sha256       TEXT REFERENCES files(sha256),-- the recovered file (outcome recovered)
    error        TEXT                          -- why nothing was recovered, for people
);

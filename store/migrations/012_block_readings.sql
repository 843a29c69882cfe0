-- Read stage, second round: the targeted readings of a signature block (archive.read.blocks),
-- kept so that cutting a document again (a new SEGMENTER_VERSION) reads no block twice.
-- One row per page, region (top: 0 top of the page .. 1 bottom, rounded to 4 places),
-- tesseract layout mode, dpi and turn; a reading tesseract failed on is not kept.

CREATE TABLE block_readings (
    sha256      TEXT NOT NULL REFERENCES files(sha256),
    page        INTEGER NOT NULL,          -- 1-based
    top         REAL NOT NULL,
    psm         INTEGER NOT NULL,
    dpi         INTEGER NOT NULL,
    turn        INTEGER NOT NULL,          -- degrees clockwise the page was turned to be read
    text        TEXT NOT NULL,
    reader      TEXT NOT NULL,
    cpu_seconds REAL NOT NULL,             -- what the reading cost when it was made
    read_at     TEXT NOT NULL,
    PRIMARY KEY (sha256, page, top, psm, dpi, turn)
);

-- Reading: per-document extraction runs, per-page text, AcroForm field values.

CREATE TABLE extractions (
    sha256            TEXT PRIMARY KEY REFERENCES files(sha256),
    extractor_version INTEGER NOT NULL,
    status            TEXT NOT NULL,           -- ok | failed
    error             TEXT,                    -- why it failed, for people
    page_count        INTEGER,
    encrypted         INTEGER NOT NULL DEFAULT 0,
    pdf_metadata      TEXT,                    -- JSON: producer, creator, dates
    extracted_at      TEXT NOT NULL,
    seconds           REAL
);

CREATE TABLE pages (
    sha256             TEXT NOT NULL REFERENCES files(sha256),
    page               INTEGER NOT NULL,       -- 1-based
    text_layer         TEXT NOT NULL,          -- the PDF's own text (shifted glyphs repaired)
    text_layer_quality TEXT NOT NULL,          -- good | empty | too-short | control-chars | garbled | shifted-glyphs-repaired
    ocr_text           TEXT,                   -- NULL when OCR did not run
    ocr_confidence     REAL,                   -- tesseract mean word confidence, 0-100
    ocr_status         TEXT,                   -- NULL (not run) | ok | timeout | error
    method             TEXT NOT NULL,          -- text | ocr | both : which text `text` holds
    text               TEXT NOT NULL,          -- the text that is searched and segmented
    extractor_version  INTEGER NOT NULL,
    PRIMARY KEY (sha256, page)
);

CREATE TABLE form_fields (
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    name   TEXT NOT NULL,                      -- fully qualified field name
    value  TEXT NOT NULL,
    page   INTEGER,                            -- page of its widget, when known
    PRIMARY KEY (sha256, name)
);

-- Reading, second round: which reader produced each page's words, and OCR results saved
-- page by page as they arrive (so a killed run loses only the pages in flight).

ALTER TABLE pages ADD COLUMN reader TEXT;      -- e.g. "pdfium", "pdfium+poppler spacing", "tesseract 300 dpi", "blank"

CREATE TABLE ocr_results (
    sha256            TEXT NOT NULL REFERENCES files(sha256),
    page              INTEGER NOT NULL,        -- 1-based
    extractor_version INTEGER NOT NULL,
    dpi               INTEGER NOT NULL,
    status            TEXT NOT NULL,           -- ok (only good readings are kept here)
    text              TEXT NOT NULL,
    confidence        REAL,
    reader            TEXT NOT NULL,
    seconds           REAL,
    PRIMARY KEY (sha256, page)
);

-- Reading, third round: where tesseract read each word of an OCR'd page, so that a search
-- hit on a scanned page can be boxed on its image (web/page_hits.py).
-- words: JSON [[text, left, top, width, height, line], ...] in the order of the page's OCR
-- text; the box in 1/10000 of the rendered page's width and height, line the 0-based line
-- of the text the word is on (archive.read.ocr.Word).

CREATE TABLE ocr_words (
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    page   INTEGER NOT NULL,                 -- 1-based
    words  TEXT NOT NULL,
    PRIMARY KEY (sha256, page)
);

ALTER TABLE ocr_results ADD COLUMN words TEXT;   -- the same JSON, saved with each page's reading

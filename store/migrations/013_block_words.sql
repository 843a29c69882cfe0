-- Read stage, second round (continued): where tesseract saw each word of a signature
-- block's reading, so that a value typed alone on its line is placed in its column.
-- words: JSON [[text, left, top, width, height, line], ...] as ocr_words (010), the box in
-- 1/10000 of the region's width and height; "[]" for a reading of no words; NULL for a
-- reading kept before this column (a first reading without it is read again, once).

ALTER TABLE block_readings ADD COLUMN words TEXT;

-- Structure, second round: a signing fact may come from a second, targeted reading of its
-- page (the signature block alone, archive.read.blocks); reader names it. NULL: the fact
-- was read from the page's text as stored (whose reader is pages.reader).

ALTER TABLE facts ADD COLUMN reader TEXT;

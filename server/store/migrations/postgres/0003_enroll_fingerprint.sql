-- An enrollment a nurse approved from a tablet's pairing request is bound to that tablet's key.

ALTER TABLE enrollments ADD COLUMN fingerprint text;

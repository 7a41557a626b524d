-- Group calls (issue #13): per patient whether their calls may hold more than two, per contact
-- whether they may join calls others started (both allowed unless a nurse says otherwise).

ALTER TABLE patients ADD COLUMN group_calls_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN join_off INTEGER NOT NULL DEFAULT 0;

-- Who took part in each logged call and how each left (one row per participant; the call's own
-- row in calls stays one per call). participant_id is 'device', a contact id or a guest link
-- id; Purge blanks it with the admission's personal data.
CREATE TABLE call_participants (
	call_id        TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	seq            INTEGER NOT NULL,
	participant_id TEXT NOT NULL DEFAULT '',
	kind           TEXT NOT NULL CHECK (kind IN ('device', 'family', 'guest')),
	joined         INTEGER,
	left_at        INTEGER,
	reason         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (call_id, seq)
);

-- Guest links: a nurse's link for one call of one patient (an interpreter, a chaplain). The
-- token is stored hashed; call_id is the (signaling) id of the call it joined, and the link is
-- revoked when that call ends.
CREATE TABLE guest_links (
	id         TEXT PRIMARY KEY,
	patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	token_hash BLOB NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL DEFAULT '',
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	revoked    INTEGER,
	call_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX guest_links_patient ON guest_links(patient_id);
CREATE INDEX guest_links_call ON guest_links(call_id) WHERE call_id != '';

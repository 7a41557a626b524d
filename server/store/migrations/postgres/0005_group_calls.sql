-- Group calls (issue #13), PostgreSQL's dialect of ../0005_group_calls.sql (the same schema
-- step): per patient whether their calls may hold more than two, per contact whether they may
-- join calls others started (both allowed unless a nurse says otherwise).

ALTER TABLE patients ADD COLUMN group_calls_off boolean NOT NULL DEFAULT FALSE;
ALTER TABLE contacts ADD COLUMN join_off boolean NOT NULL DEFAULT FALSE;

-- Who took part in each logged call and how each left (one row per participant; the call's own
-- row in calls stays one per call). participant_id is 'device', a contact id or a guest link
-- id; Purge blanks it with the admission's personal data.
CREATE TABLE call_participants (
	call_id        text NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	seq            integer NOT NULL,
	participant_id text NOT NULL DEFAULT '',
	kind           text NOT NULL CHECK (kind IN ('device', 'family', 'guest')),
	joined         timestamptz,
	left_at        timestamptz,
	reason         text NOT NULL DEFAULT '',
	PRIMARY KEY (call_id, seq)
);

-- Guest links: a nurse's link for one call of one patient (an interpreter, a chaplain). The
-- token is stored hashed; call_id is the (signaling) id of the call it joined, and the link is
-- revoked when that call ends.
CREATE TABLE guest_links (
	rowid      bigint GENERATED ALWAYS AS IDENTITY,
	id         text PRIMARY KEY,
	patient_id text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE,
	name       text NOT NULL,
	role       text NOT NULL DEFAULT '',
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	revoked    timestamptz,
	call_id    text NOT NULL DEFAULT ''
);
CREATE INDEX guest_links_patient ON guest_links(patient_id);
CREATE INDEX guest_links_call ON guest_links(call_id) WHERE call_id != '';

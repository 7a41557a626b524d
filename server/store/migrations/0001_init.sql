-- Wards, beds, devices, enrollment, patients, contacts, links, photos and the call log.
-- Times are UTC unix milliseconds; NULL means "never" (the zero time.Time).

CREATE TABLE wards (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	created INTEGER NOT NULL
);

CREATE TABLE beds (
	id      TEXT PRIMARY KEY,
	ward_id TEXT NOT NULL REFERENCES wards(id),
	name    TEXT NOT NULL,
	UNIQUE (ward_id, name)
);

CREATE TABLE enrollments (
	token_hash BLOB PRIMARY KEY,
	code_hash  BLOB UNIQUE,
	ward_id    TEXT NOT NULL REFERENCES wards(id),
	bed_id     TEXT REFERENCES beds(id),
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	used       INTEGER
);

CREATE TABLE devices (
	id          TEXT PRIMARY KEY,
	ward_id     TEXT NOT NULL REFERENCES wards(id),
	bed_id      TEXT REFERENCES beds(id),
	public_key  BLOB NOT NULL,
	name        TEXT NOT NULL DEFAULT '',
	app_version TEXT NOT NULL DEFAULT '',
	battery     INTEGER NOT NULL DEFAULT -1,
	created     INTEGER NOT NULL,
	last_seen   INTEGER,
	revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_ward ON devices(ward_id);
CREATE INDEX devices_bed ON devices(bed_id, created);
-- A key may enroll again after its device was revoked, but is live on one device at a time.
CREATE UNIQUE INDEX devices_live_key ON devices(public_key) WHERE revoked = 0;

CREATE TABLE patients (
	id             TEXT PRIMARY KEY,
	bed_id         TEXT NOT NULL REFERENCES beds(id),
	first_name     TEXT NOT NULL,
	language       TEXT NOT NULL DEFAULT '',
	auto_answer    INTEGER NOT NULL DEFAULT 0,
	visiting_hours TEXT NOT NULL DEFAULT '',
	admitted       INTEGER NOT NULL,
	discharged     INTEGER
);
-- At most one admitted patient per bed.
CREATE UNIQUE INDEX patients_admitted_bed ON patients(bed_id) WHERE discharged IS NULL;

CREATE TABLE contacts (
	id          TEXT PRIMARY KEY,
	patient_id  TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	relation    TEXT NOT NULL DEFAULT '',
	language    TEXT NOT NULL DEFAULT '',
	auto_answer INTEGER NOT NULL DEFAULT 0,
	photo_hash  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contacts_patient ON contacts(patient_id);

CREATE TABLE links (
	id         TEXT PRIMARY KEY,
	contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	token_hash BLOB NOT NULL UNIQUE,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	revoked    INTEGER
);
CREATE INDEX links_contact ON links(contact_id);

CREATE TABLE photos (
	hash         TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	data         BLOB NOT NULL,
	created      INTEGER NOT NULL
);

-- The call log keeps contact and device ids as plain text: a row outlives a deleted contact.
CREATE TABLE calls (
	id         TEXT PRIMARY KEY,
	patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	contact_id TEXT NOT NULL DEFAULT '',
	device_id  TEXT NOT NULL DEFAULT '',
	direction  TEXT NOT NULL CHECK (direction IN ('from-family', 'from-patient')),
	started    INTEGER NOT NULL,
	answered   INTEGER,
	ended      INTEGER,
	reason     TEXT NOT NULL DEFAULT '',
	setup_ms   INTEGER NOT NULL DEFAULT -1
);
CREATE INDEX calls_patient_started ON calls(patient_id, started);

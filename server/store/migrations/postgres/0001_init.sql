-- Wards, beds, devices, enrollment, patients, contacts, links, photos and the call log.
-- PostgreSQL's version of ../0001_init.sql: times are timestamptz (to the millisecond, as the
-- store writes them); NULL means "never". Names that lists are sorted by compare byte by
-- byte (COLLATE "C"), as SQLite's do. Tables listed in insertion order have a rowid, as
-- SQLite's tables have, so that the store's queries are the same on both.

CREATE TABLE wards (
	id      text PRIMARY KEY,
	name    text COLLATE "C" NOT NULL UNIQUE,
	created timestamptz NOT NULL
);

CREATE TABLE beds (
	id      text PRIMARY KEY,
	ward_id text NOT NULL REFERENCES wards(id),
	name    text COLLATE "C" NOT NULL,
	UNIQUE (ward_id, name)
);

CREATE TABLE enrollments (
	token_hash bytea PRIMARY KEY,
	code_hash  bytea UNIQUE,
	ward_id    text NOT NULL REFERENCES wards(id),
	bed_id     text REFERENCES beds(id),
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	used       timestamptz
);

CREATE TABLE devices (
	rowid       bigint GENERATED ALWAYS AS IDENTITY,
	id          text PRIMARY KEY,
	ward_id     text NOT NULL REFERENCES wards(id),
	bed_id      text REFERENCES beds(id),
	public_key  bytea NOT NULL,
	name        text NOT NULL DEFAULT '',
	app_version text NOT NULL DEFAULT '',
	battery     integer NOT NULL DEFAULT -1,
	created     timestamptz NOT NULL,
	last_seen   timestamptz,
	revoked     boolean NOT NULL DEFAULT FALSE
);
CREATE INDEX devices_ward ON devices(ward_id);
CREATE INDEX devices_bed ON devices(bed_id, created);
-- A key may enroll again after its device was revoked, but is live on one device at a time.
CREATE UNIQUE INDEX devices_live_key ON devices(public_key) WHERE NOT revoked;

CREATE TABLE patients (
	id             text PRIMARY KEY,
	bed_id         text NOT NULL REFERENCES beds(id),
	first_name     text NOT NULL,
	language       text NOT NULL DEFAULT '',
	auto_answer    boolean NOT NULL DEFAULT FALSE,
	visiting_hours text NOT NULL DEFAULT '',
	admitted       timestamptz NOT NULL,
	discharged     timestamptz
);
-- At most one admitted patient per bed.
CREATE UNIQUE INDEX patients_admitted_bed ON patients(bed_id) WHERE discharged IS NULL;

CREATE TABLE contacts (
	rowid       bigint GENERATED ALWAYS AS IDENTITY,
	id          text PRIMARY KEY,
	patient_id  text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	name        text NOT NULL,
	relation    text NOT NULL DEFAULT '',
	language    text NOT NULL DEFAULT '',
	auto_answer boolean NOT NULL DEFAULT FALSE,
	photo_hash  text NOT NULL DEFAULT ''
);
CREATE INDEX contacts_patient ON contacts(patient_id);
CREATE INDEX contacts_photo ON contacts(photo_hash);

CREATE TABLE links (
	rowid      bigint GENERATED ALWAYS AS IDENTITY,
	id         text PRIMARY KEY,
	contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE,
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	revoked    timestamptz
);
CREATE INDEX links_contact ON links(contact_id);

CREATE TABLE photos (
	hash         text PRIMARY KEY,
	content_type text NOT NULL,
	data         bytea NOT NULL,
	created      timestamptz NOT NULL
);

-- The call log keeps contact and device ids as plain text: a row outlives a deleted contact.
CREATE TABLE calls (
	rowid      bigint GENERATED ALWAYS AS IDENTITY,
	id         text PRIMARY KEY,
	patient_id text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	contact_id text NOT NULL DEFAULT '',
	device_id  text NOT NULL DEFAULT '',
	direction  text NOT NULL CHECK (direction IN ('from-family', 'from-patient')),
	started    timestamptz NOT NULL,
	answered   timestamptz,
	ended      timestamptz,
	reason     text NOT NULL DEFAULT '',
	setup_ms   integer NOT NULL DEFAULT -1
);
CREATE INDEX calls_patient_started ON calls(patient_id, started);

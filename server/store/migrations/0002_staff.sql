-- Staff accounts, console sessions and the audit log.

CREATE TABLE staff (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'nurse')),
	password_hash BLOB NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  INTEGER,
	created       INTEGER NOT NULL
);

CREATE TABLE staff_wards (
	staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	ward_id  TEXT NOT NULL REFERENCES wards(id),
	PRIMARY KEY (staff_id, ward_id)
);

CREATE TABLE sessions (
	id_hash  BLOB PRIMARY KEY,
	staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	csrf     TEXT NOT NULL,
	created  INTEGER NOT NULL,
	expires  INTEGER NOT NULL
);
CREATE INDEX sessions_staff ON sessions(staff_id);

CREATE TABLE audit (
	id       TEXT PRIMARY KEY,
	staff_id TEXT NOT NULL DEFAULT '',
	action   TEXT NOT NULL,
	target   TEXT NOT NULL DEFAULT '',
	at       INTEGER NOT NULL
);
CREATE INDEX audit_at ON audit(at);

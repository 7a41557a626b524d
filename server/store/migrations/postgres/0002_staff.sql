-- Staff accounts, console sessions and the audit log. A login name is unique whatever its
-- case: the unique index is on lower(name), as the look-ups are (SQLite: COLLATE NOCASE).

CREATE TABLE staff (
	id            text PRIMARY KEY,
	name          text COLLATE "C" NOT NULL,
	role          text NOT NULL CHECK (role IN ('admin', 'nurse')),
	password_hash bytea NOT NULL,
	failed_logins integer NOT NULL DEFAULT 0,
	locked_until  timestamptz,
	created       timestamptz NOT NULL
);
CREATE UNIQUE INDEX staff_name ON staff (lower(name));

CREATE TABLE staff_wards (
	staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	ward_id  text NOT NULL REFERENCES wards(id),
	PRIMARY KEY (staff_id, ward_id)
);

CREATE TABLE sessions (
	id_hash  bytea PRIMARY KEY,
	staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	csrf     text NOT NULL,
	created  timestamptz NOT NULL,
	expires  timestamptz NOT NULL
);
CREATE INDEX sessions_staff ON sessions(staff_id);

CREATE TABLE audit (
	rowid    bigint GENERATED ALWAYS AS IDENTITY,
	id       text PRIMARY KEY,
	staff_id text NOT NULL DEFAULT '',
	action   text NOT NULL,
	target   text NOT NULL DEFAULT '',
	at       timestamptz NOT NULL
);
CREATE INDEX audit_at ON audit(at);

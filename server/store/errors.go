package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// More sentinel errors of the store (the shared ones are in store.go).
var (
	// ErrFull means the database could not be written: the disk is full or the file or its
	// directory is read-only. The change was rolled back; nothing half-written remains.
	ErrFull = errors.New("store: the server's disk is full or read-only")
	// ErrInvalid means the caller passed something the store cannot keep (an empty name, a
	// photo whose hash does not match its bytes, an unknown role).
	ErrInvalid = errors.New("store: invalid input")
	// ErrNewerSchema means the database file was written by a newer version of Bedside.
	ErrNewerSchema = errors.New("store: database schema is newer than this program")
)

// mapErr translates a driver error into the package's sentinels, keeping the driver's message
// (which names tables and columns, never values). sql.ErrNoRows becomes ErrNotFound;
// constraint violations become ErrConflict (a missing referenced row becomes ErrNotFound);
// a full disk or a read-only file becomes ErrFull. PostgreSQL's errors are mapped alike (mapPGErr).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return mapPGErr(err, pe)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	code := se.Code()
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case code&0xff == sqlite3.SQLITE_FULL, code&0xff == sqlite3.SQLITE_READONLY,
		code == sqlite3.SQLITE_IOERR_WRITE, code == sqlite3.SQLITE_IOERR_FSYNC:
		return fmt.Errorf("%w: %v", ErrFull, err)
	}
	return err
}

package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres connects to the PostgreSQL database at rawURL through one pool of Readers+1
// connections (pgx, through database/sql so that both engines share their queries). Open
// migrates the database, so the URL's role must be allowed to create tables in it (own it,
// or hold CREATE on its public schema). pgx also reads the PG* environment variables and
// ~/.pgpass, where a password is better kept than in the URL.
func openPostgres(ctx context.Context, rawURL string, opts Options, s *DB) error {
	shown := RedactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's parse errors can quote the URL: say only that it is bad.
		return fmt.Errorf("store: open %s: %w: not a valid PostgreSQL URL", shown, ErrInvalid)
	}
	conns := opts.Readers
	if conns <= 0 {
		conns = 4
	}
	conns++
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	s.write = &pool{db: db, eng: pgEngine}
	s.read = s.write
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", shown, mapErr(err))
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", shown, err)
	}
	return nil
}

// RedactURL returns a database URL fit for a log: its password, if any, is replaced by xxxxx,
// and so is a password given as a query parameter. A target that does not parse as a URL is
// shown as "(unparsable URL)".
func RedactURL(target string) string {
	if !IsPostgresURL(target) {
		return target // a file path
	}
	u, err := url.Parse(target)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// PostgreSQL's error codes that the store maps (see mapPGErr).
const (
	pgSerializationFailure = "40001"
	pgDeadlock             = "40P01"
	pgForeignKey           = "23503"
	pgDiskFull             = "53100"
	pgReadOnly             = "25006"
)

// mapPGErr maps a PostgreSQL error as mapErr does SQLite's: a missing referenced row is
// ErrNotFound, another integrity violation (unique, check, not null) ErrConflict, bad data
// (a NUL byte, invalid UTF-8) ErrInvalid, a full disk or a read-only server ErrFull. A
// serialization failure stays itself, for inTx to retry.
func mapPGErr(err error, pe *pgconn.PgError) error {
	switch {
	case pe.Code == pgForeignKey:
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case pe.Code[:2] == "23":
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case pe.Code[:2] == "22":
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	case pe.Code == pgDiskFull, pe.Code == pgReadOnly:
		return fmt.Errorf("%w: %v", ErrFull, err)
	}
	return err
}

// retryable reports whether err is a PostgreSQL transaction that may succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgSerializationFailure || pe.Code == pgDeadlock)
}

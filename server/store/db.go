package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Now is the clock used for Created times and expiry checks that take no explicit time;
	// time.Now when nil.
	Now func() time.Time
	// Rand is the source of the random bytes in ids; crypto/rand when nil.
	Rand io.Reader
	// Readers is the size of the read connection pool; 4 when zero or negative. PostgreSQL
	// has one pool of Readers+1 connections (the readers and a writer).
	Readers int
	// BusyTimeout is how long a SQLite connection waits for a lock held by another process;
	// 5 s when zero or negative.
	BusyTimeout time.Duration
}

// DB is the Store kept in SQL: in one SQLite file, or in a PostgreSQL database. The two
// engines share every query; what differs between them (placeholders, how times are kept,
// transactions) is the engine's (see pool).
//
// On SQLite every change goes through one writer connection, so changes never contend. On
// PostgreSQL, where several connections (and several servers) write at once, a transaction
// runs SERIALIZABLE and is retried when PostgreSQL says it could not serialize it: what each
// transaction checks before it writes (the patient is still admitted, the token unused) still
// holds when it commits, as with SQLite's single writer.
type DB struct {
	write *pool // every change goes through it (SQLite: exactly one connection)
	read  *pool // reads (SQLite: a read-only pool; PostgreSQL: the same pool as write)
	now   func() time.Time
	rand  io.Reader
}

// SQLite is DB's former name, kept for the callers that name it.
type SQLite = DB

var _ Store = (*DB)(nil)

// idBytes is the number of random bytes in an id: 96 bits, 24 hex characters.
const idBytes = 12

// Open opens the store at target and brings its schema up to date: a PostgreSQL database for
// a postgres:// or postgresql:// URL, else the SQLite file at the path target (created when
// missing). It fails with ErrNewerSchema when the database was written by a newer Bedside.
// Errors never show a URL's password.
func Open(ctx context.Context, target string, opts Options) (*DB, error) {
	s := &DB{now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	var err error
	if IsPostgresURL(target) {
		err = openPostgres(ctx, target, opts, s)
	} else {
		err = openSQLite(ctx, target, opts, s)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// IsPostgresURL reports whether Open takes target for a PostgreSQL URL.
func IsPostgresURL(target string) bool {
	t := strings.ToLower(target)
	return strings.HasPrefix(t, "postgres://") || strings.HasPrefix(t, "postgresql://")
}

// Engine names the store's database engine: "sqlite" or "postgres".
func (s *DB) Engine() string { return s.write.eng.name }

// Close closes the connection pools. The store must not be used afterwards.
func (s *DB) Close() error {
	var errs []error
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.db.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.db.Close())
	}
	return errors.Join(errs...)
}

// newID returns a fresh random id: 24 lower-case hex characters, valid for signal.ValidID.
func (s *DB) newID() (string, error) {
	var b [idBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("store: new id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// norm returns t as the store keeps it: UTC, to the millisecond; the zero time stays zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// nullStr stores an empty string as NULL (for optional references).
func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullBytes stores an empty slice as NULL.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// affected reports ErrNotFound (wrapped with what) when res changed no row.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// limitArg turns a caller's limit into the engine's: zero or negative means no limit.
func (s *DB) limitArg(limit int) any {
	if limit <= 0 {
		return s.read.eng.noLimit
	}
	return limit
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

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

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Now is the clock used for Created times and expiry checks that take no explicit time;
	// time.Now when nil.
	Now func() time.Time
	// Rand is the source of the random bytes in ids; crypto/rand when nil.
	Rand io.Reader
	// Readers is the size of the read connection pool; 4 when zero or negative.
	Readers int
	// BusyTimeout is how long a connection waits for a lock held by another process;
	// 5 s when zero or negative.
	BusyTimeout time.Duration
}

// SQLite is the Store kept in one SQLite file. It writes through a single connection (so
// writes never contend with each other) and reads through a small pool, in WAL mode so that
// readers never wait for the writer.
type SQLite struct {
	write *sql.DB // exactly one connection; every change goes through it
	read  *sql.DB // read-only pool
	now   func() time.Time
	rand  io.Reader
}

var _ Store = (*SQLite)(nil)

// idBytes is the number of random bytes in an id: 96 bits, 24 hex characters.
const idBytes = 12

// Open opens (creating it when missing) the SQLite database at path and brings its schema up
// to date. It fails with ErrNewerSchema when the file was written by a newer Bedside.
func Open(ctx context.Context, path string, opts Options) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("store: open %q: %w: want a plain file path", path, ErrInvalid)
	}
	s := &SQLite{now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = 4
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		busy.Milliseconds())

	var err error
	// The writer comes first: it creates the file and switches it to WAL, which persists.
	s.write, err = sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	if err := s.write.PingContext(ctx); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, mapErr(err))
	}
	if err := s.migrate(ctx); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	s.read, err = sql.Open("sqlite", path+common+"&_query_only=1")
	if err != nil {
		s.write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.read.SetMaxOpenConns(readers)
	s.read.SetMaxIdleConns(readers)
	if err := s.read.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, mapErr(err))
	}
	return s, nil
}

// Close closes both connection pools. The store must not be used afterwards.
func (s *SQLite) Close() error {
	var errs []error
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	return errors.Join(errs...)
}

// newID returns a fresh random id: 24 lower-case hex characters, valid for signal.ValidID.
func (s *SQLite) newID() (string, error) {
	var b [idBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("store: new id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// inTx runs fn in a write transaction and commits it, or rolls it back when fn fails so
// nothing half-written remains.
func (s *SQLite) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// ms converts t to UTC unix milliseconds; the zero time becomes NULL.
func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// norm returns t as the store keeps it: UTC, to the millisecond; the zero time stays zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// fromMS converts UTC unix milliseconds back to a time in UTC; NULL becomes the zero time.
func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
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

// limitArg turns a caller's limit into SQLite's: zero or negative means no limit.
func limitArg(limit int) int {
	if limit <= 0 {
		return -1
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

package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// engine is what differs between the SQL databases the store runs on. The queries are written
// once, in SQLite's dialect with `?` placeholders and portable SQL (TRUE/FALSE, RETURNING,
// ON CONFLICT); a pool or a transaction of an engine turns them into that engine's.
type engine struct {
	name string
	// dollars: placeholders are $1, $2, ... (PostgreSQL) instead of ?.
	dollars bool
	// nativeTime: times are timestamptz (PostgreSQL) instead of integer unix milliseconds.
	nativeTime bool
	// serializable: write transactions run SERIALIZABLE and are retried on a serialization
	// failure (PostgreSQL); SQLite's single writer needs neither.
	serializable bool
	// noLimit is the LIMIT argument that means no limit.
	noLimit any
	// readTx is how a read-only transaction begins: a snapshot of one instant.
	readTx *sql.TxOptions
}

var (
	sqliteEngine = &engine{name: "sqlite", noLimit: -1, readTx: &sql.TxOptions{ReadOnly: true}}
	pgEngine     = &engine{name: "postgres", dollars: true, nativeTime: true, serializable: true,
		noLimit: nil, readTx: &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}}
)

// stamp is a time as the store keeps it, in a query's arguments (see ts) and as a scan
// destination: UTC to the millisecond, the zero time for NULL.
type stamp struct{ T time.Time }

// ts wraps t for a query's arguments: the engine stores it in its own way.
func ts(t time.Time) stamp { return stamp{t} }

// Scan reads SQLite's unix milliseconds or PostgreSQL's timestamptz.
func (st *stamp) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		st.T = time.Time{}
	case int64:
		st.T = time.UnixMilli(v).UTC()
	case time.Time:
		st.T = norm(v)
	default:
		return fmt.Errorf("store: a time column holds a %T", v)
	}
	return nil
}

// query turns q into the engine's dialect. (Rewriting a query costs well under a microsecond,
// a PostgreSQL round trip tens of them: no cache.)
func (e *engine) query(q string) string {
	if !e.dollars {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for _, c := range q { // the queries hold no ? in a string literal
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// args turns the stamps among args into the engine's times.
func (e *engine) args(args []any) []any {
	var out []any
	for i, a := range args {
		st, ok := a.(stamp)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		switch {
		case !e.nativeTime:
			out[i] = ms(st.T)
		case st.T.IsZero():
			out[i] = nil
		default:
			out[i] = norm(st.T)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// pool is a connection pool that speaks its engine's SQL.
type pool struct {
	db  *sql.DB
	eng *engine
}

func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, p.eng.query(q), p.eng.args(args)...)
}

func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, p.eng.query(q), p.eng.args(args)...)
}

func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, p.eng.query(q), p.eng.args(args)...)
}

func (p *pool) PingContext(ctx context.Context) error { return p.db.PingContext(ctx) }

// BeginTx begins a transaction with opts (the engine's default when nil).
func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{tx: tx, eng: p.eng}, nil
}

// beginRead begins a read-only transaction that sees one instant.
func (p *pool) beginRead(ctx context.Context) (*txn, error) { return p.BeginTx(ctx, p.eng.readTx) }

// txn is a transaction that speaks its engine's SQL.
type txn struct {
	tx  *sql.Tx
	eng *engine
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.eng.query(q), t.eng.args(args)...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.eng.query(q), t.eng.args(args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.eng.query(q), t.eng.args(args)...)
}

func (t *txn) Commit() error   { return t.tx.Commit() }
func (t *txn) Rollback() error { return t.tx.Rollback() }

// maxAttempts bounds how often inTx runs a transaction that PostgreSQL could not serialize.
const maxAttempts = 20

// inTx runs fn in a write transaction and commits it, or rolls it back when fn fails so
// nothing half-written remains. On PostgreSQL the transaction is SERIALIZABLE, and one that
// could not be serialized with a concurrent one (or was chosen to break a deadlock) runs
// again from the start, up to maxAttempts times: fn must only set what it returns.
func (s *DB) inTx(ctx context.Context, fn func(tx *txn) error) error {
	opts := (*sql.TxOptions)(nil)
	if s.write.eng.serializable {
		opts = &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, opts, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Back off a little, at random, so that the same transactions do not meet again.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond)))):
		}
	}
}

func (s *DB) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *txn) error) error {
	tx, err := s.write.BeginTx(ctx, opts)
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

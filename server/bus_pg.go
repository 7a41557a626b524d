package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGBus is the Bus of instances that share one PostgreSQL database. Each instance LISTENs on
// a channel of its own on one dedicated connection. A message up to notifyLimit bytes is the
// NOTIFY payload itself; a longer one (an SDP can reach 64 KiB, a NOTIFY payload 8000 bytes)
// is a row of bedside_cluster_messages, and the NOTIFY carries "#" and its id; the receiver
// deletes the row as it takes it. NOTIFY is delivered in commit order, so one sender's
// messages arrive in the order it sent them. Leases are rows of bedside_cluster_leases, timed
// by the database's clock, so that the instances' clocks need not agree.
type PGBus struct {
	id     string
	dsn    string
	pool   *pgxpool.Pool
	ctx    context.Context // ends at Close
	cancel context.CancelFunc

	mu       sync.Mutex
	listener *pgx.Conn // listening since NewPGBus, until Listen takes it
	lastTidy time.Time
}

// notifyLimit is the largest message sent as a NOTIFY payload (PostgreSQL's limit is 8000
// bytes, channel name included).
const notifyLimit = 7000

// busSchema creates the bus's tables; an advisory lock keeps two instances starting at once
// from racing on it.
const busSchema = `
SELECT pg_advisory_xact_lock(7463626);
CREATE TABLE IF NOT EXISTS bedside_cluster_messages (
	id   bigserial PRIMARY KEY,
	sent timestamptz NOT NULL DEFAULT clock_timestamp(),
	body text NOT NULL
);
CREATE TABLE IF NOT EXISTS bedside_cluster_leases (
	name    text PRIMARY KEY,
	owner   text NOT NULL,
	expires timestamptz NOT NULL
);`

// NewPGBus connects to the database at dsn (a postgres:// URL or key=value string) and
// creates the bus's tables when missing. id names this instance; a random one when empty.
func NewPGBus(ctx context.Context, dsn, id string) (*PGBus, error) {
	if id == "" {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("server: bus id: %w", err)
		}
		id = hex.EncodeToString(b)
	}
	if strings.ContainsAny(id, "\x00\"") || len(id) > 40 {
		return nil, fmt.Errorf("server: %w: bus id %q", ErrConfig, id)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("server: %w: bus database: %v", ErrConfig, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("server: bus database: %w", err)
	}
	tx, err := pool.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, busSchema)
		if err == nil {
			err = tx.Commit(ctx)
		} else {
			_ = tx.Rollback(ctx)
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("server: bus tables: %w", err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	b := &PGBus{id: id, dsn: dsn, pool: pool, ctx: bctx, cancel: cancel}
	// Listening starts now, not when Listen is first called: a message sent to this
	// instance as soon as it claims a ward waits in the connection.
	if b.listener, err = b.listen(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// listen opens a connection that listens on this instance's channel.
func (b *PGBus) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return nil, fmt.Errorf("server: bus listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel(b.id)}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("server: bus listen: %w", err)
	}
	return conn, nil
}

// ID is this instance's id.
func (b *PGBus) ID() string { return b.id }

// channel is the channel instance id listens on.
func channel(id string) string { return "bedside_" + id }

// Publish sends data to instance to.
func (b *PGBus) Publish(ctx context.Context, to string, data []byte) error {
	if b.ctx.Err() != nil {
		return ErrBusClosed
	}
	var err error
	if len(data) <= notifyLimit {
		_, err = b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel(to), string(data))
	} else {
		_, err = b.pool.Exec(ctx, `WITH m AS (INSERT INTO bedside_cluster_messages (body) VALUES ($2) RETURNING id)
			SELECT pg_notify($1, '#' || m.id) FROM m`, channel(to), string(data))
	}
	if err != nil {
		return fmt.Errorf("server: publish to instance %s: %w", to, err)
	}
	return nil
}

// Listen hands f this instance's messages until ctx ends, the bus closes or its connection
// fails (then the messages sent meanwhile are lost: the caller starts afresh).
func (b *PGBus) Listen(ctx context.Context, f func(data []byte)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(b.ctx, cancel)()
	b.mu.Lock()
	conn := b.listener
	b.listener = nil
	b.mu.Unlock()
	if conn == nil {
		var err error
		if conn, err = b.listen(ctx); err != nil {
			return b.closedOr(err)
		}
	}
	defer conn.Close(context.Background())
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return b.closedOr(fmt.Errorf("server: bus listen: %w", err))
		}
		body := n.Payload
		if ref, ok := strings.CutPrefix(body, "#"); ok {
			id, err := strconv.ParseInt(ref, 10, 64)
			if err != nil {
				continue // not ours
			}
			err = b.pool.QueryRow(ctx, `DELETE FROM bedside_cluster_messages WHERE id = $1 RETURNING body`, id).Scan(&body)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			} else if err != nil {
				return b.closedOr(fmt.Errorf("server: bus message %d: %w", id, err))
			}
		}
		f([]byte(body))
	}
}

// closedOr is ErrBusClosed once the bus is closed, else err.
func (b *PGBus) closedOr(err error) error {
	if b.ctx.Err() != nil {
		return ErrBusClosed
	}
	return err
}

// Claim renews this instance's leases among names, takes those expired or missing, and
// returns the owner of each. Now and then it also drops the rows of long messages that
// nobody took (their instance died).
func (b *PGBus) Claim(ctx context.Context, names []string, ttl time.Duration) (map[string]string, error) {
	if b.ctx.Err() != nil {
		return nil, ErrBusClosed
	}
	names = slices.Sorted(slices.Values(names)) // one order everywhere: no deadlock
	_, err := b.pool.Exec(ctx, `INSERT INTO bedside_cluster_leases (name, owner, expires)
		SELECT n, $1, clock_timestamp() + $3::bigint * interval '1 millisecond' FROM unnest($2::text[]) AS n ORDER BY n
		ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires = EXCLUDED.expires
		WHERE bedside_cluster_leases.owner = EXCLUDED.owner OR bedside_cluster_leases.expires < clock_timestamp()`,
		b.id, names, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("server: claim leases: %w", err)
	}
	rows, err := b.pool.Query(ctx, `SELECT name, owner FROM bedside_cluster_leases WHERE name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("server: read leases: %w", err)
	}
	out := make(map[string]string, len(names))
	var name, owner string
	_, err = pgx.ForEachRow(rows, []any{&name, &owner}, func() error {
		out[name] = owner
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: read leases: %w", err)
	}
	b.tidy(ctx)
	return out, nil
}

// tidy drops, once a minute, the long messages older than a minute: their receiver is gone.
func (b *PGBus) tidy(ctx context.Context) {
	b.mu.Lock()
	due := time.Since(b.lastTidy) > time.Minute
	if due {
		b.lastTidy = time.Now()
	}
	b.mu.Unlock()
	if due {
		_, _ = b.pool.Exec(ctx, `DELETE FROM bedside_cluster_messages WHERE sent < clock_timestamp() - interval '1 minute'`)
	}
}

// Release gives up this instance's leases.
func (b *PGBus) Release(ctx context.Context) error {
	if b.ctx.Err() != nil {
		return ErrBusClosed
	}
	if _, err := b.pool.Exec(ctx, `DELETE FROM bedside_cluster_leases WHERE owner = $1`, b.id); err != nil {
		return fmt.Errorf("server: release leases: %w", err)
	}
	return nil
}

// Close ends Listen and closes the connections; the leases stay until they expire.
func (b *PGBus) Close() error {
	b.cancel()
	b.mu.Lock()
	if b.listener != nil {
		b.listener.Close(context.Background())
		b.listener = nil
	}
	b.mu.Unlock()
	b.pool.Close()
	return nil
}

package store

import (
	"context"
	"fmt"
)

const sessionCols = `id_hash, staff_id, csrf, created, expires`

// CreateSession stores a console session of an existing account (ErrNotFound otherwise);
// Created defaults to now and Expires is required. Sessions expired by now are swept away
// in the same transaction.
func (s *DB) CreateSession(ctx context.Context, se Session) error {
	if len(se.IDHash) == 0 || se.Expires.IsZero() || se.CSRF == "" {
		return fmt.Errorf("create session: id hash, CSRF token and expiry required: %w", ErrInvalid)
	}
	now := s.now()
	if se.Created.IsZero() {
		se.Created = now
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, ts(now)); err != nil {
			return mapErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?)`,
			se.IDHash, se.StaffID, se.CSRF, ts(se.Created), ts(se.Expires))
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("create session for staff %s: %w", se.StaffID, err)
	}
	return nil
}

// Session implements Store.
func (s *DB) Session(ctx context.Context, idHash []byte) (Session, error) {
	if len(idHash) == 0 {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	var se Session
	var created, expires stamp
	if err := s.read.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&se.IDHash, &se.StaffID, &se.CSRF, &created, &expires); err != nil {
		return Session{}, fmt.Errorf("session: %w", mapErr(err))
	}
	se.Created, se.Expires = created.T, expires.T
	return se, nil
}

// DeleteSession ends a session (logout).
func (s *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	if err != nil {
		return fmt.Errorf("delete session: %w", mapErr(err))
	}
	return affected(res, "delete session")
}

// DeleteStaffSessions ends every session of the account; none is not an error.
func (s *DB) DeleteStaffSessions(ctx context.Context, staffID string) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE staff_id = ?`, staffID); err != nil {
		return fmt.Errorf("delete sessions of staff %s: %w", staffID, mapErr(err))
	}
	return nil
}

package store

import (
	"context"
	"fmt"
	"time"
)

const linkCols = `id, contact_id, token_hash, created, expires, revoked`

// CreateLink stores a family link for a contact of an admitted patient: ErrNotFound for an
// unknown contact, ErrConflict when the patient is discharged or the token hash is taken.
// Created defaults to now; Expires is required.
func (s *DB) CreateLink(ctx context.Context, l Link) (Link, error) {
	if len(l.TokenHash) == 0 || l.Expires.IsZero() {
		return Link{}, fmt.Errorf("create link: token hash and expiry required: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Link{}, err
	}
	l.ID = id
	if l.Created.IsZero() {
		l.Created = s.now()
	}
	l.Created, l.Expires, l.Revoked = norm(l.Created), norm(l.Expires), norm(l.Revoked)
	err = s.inTx(ctx, func(tx *txn) error {
		var patientID string
		if err := tx.QueryRowContext(ctx, `SELECT patient_id FROM contacts WHERE id = ?`, l.ContactID).
			Scan(&patientID); err != nil {
			return fmt.Errorf("contact %s: %w", l.ContactID, mapErr(err))
		}
		if err := admitted(ctx, tx, patientID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO links (`+linkCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			l.ID, l.ContactID, l.TokenHash, ts(l.Created), ts(l.Expires), ts(l.Revoked))
		return mapErr(err)
	})
	if err != nil {
		return Link{}, fmt.Errorf("create link: %w", err)
	}
	return l, nil
}

// LinkByToken implements Store.
func (s *DB) LinkByToken(ctx context.Context, tokenHash []byte) (Link, error) {
	if len(tokenHash) == 0 {
		return Link{}, fmt.Errorf("link by token: %w", ErrNotFound)
	}
	l, err := scanLink(s.read.QueryRowContext(ctx, `SELECT `+linkCols+` FROM links WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return Link{}, fmt.Errorf("link by token: %w", err)
	}
	return l, nil
}

// Links returns the links of a contact, oldest first, whatever their state.
func (s *DB) Links(ctx context.Context, contactID string) ([]Link, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+linkCols+` FROM links WHERE contact_id = ?
		ORDER BY created, rowid`, contactID)
	if err != nil {
		return nil, fmt.Errorf("links of contact %s: %w", contactID, mapErr(err))
	}
	ls, err := collect(rows, scanLink)
	if err != nil {
		return nil, fmt.Errorf("links of contact %s: %w", contactID, err)
	}
	return ls, nil
}

// RevokeLink revokes the link at at (now when zero); revoking it again keeps the first time.
func (s *DB) RevokeLink(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.write.ExecContext(ctx, `UPDATE links SET revoked = COALESCE(revoked, ?) WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("revoke link %s: %w", id, mapErr(err))
	}
	return affected(res, "revoke link "+id)
}

func scanLink(r scanner) (Link, error) {
	var l Link
	var created, expires, revoked stamp
	if err := r.Scan(&l.ID, &l.ContactID, &l.TokenHash, &created, &expires, &revoked); err != nil {
		return Link{}, mapErr(err)
	}
	l.Created, l.Expires, l.Revoked = created.T, expires.T, revoked.T
	return l, nil
}

package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const guestCols = `id, patient_id, token_hash, name, role, created, expires, revoked, call_id`

// CreateGuestLink implements Store.
func (s *DB) CreateGuestLink(ctx context.Context, g GuestLink) (GuestLink, error) {
	if strings.TrimSpace(g.Name) == "" || len(g.TokenHash) == 0 || g.Expires.IsZero() {
		return GuestLink{}, fmt.Errorf("create guest link: name, token hash and expiry required: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return GuestLink{}, err
	}
	g.ID, g.CallID = id, ""
	if g.Created.IsZero() {
		g.Created = s.now()
	}
	g.Created, g.Expires, g.Revoked = norm(g.Created), norm(g.Expires), norm(g.Revoked)
	err = s.inTx(ctx, func(tx *txn) error {
		if err := admitted(ctx, tx, g.PatientID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO guest_links (`+guestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`,
			g.ID, g.PatientID, g.TokenHash, g.Name, g.Role, ts(g.Created), ts(g.Expires), ts(g.Revoked))
		return mapErr(err)
	})
	if err != nil {
		return GuestLink{}, fmt.Errorf("create guest link: %w", err)
	}
	return g, nil
}

// GuestLink implements Store.
func (s *DB) GuestLink(ctx context.Context, id string) (GuestLink, error) {
	g, err := scanGuest(s.read.QueryRowContext(ctx, `SELECT `+guestCols+` FROM guest_links WHERE id = ?`, id))
	if err != nil {
		return GuestLink{}, fmt.Errorf("guest link %s: %w", id, err)
	}
	return g, nil
}

// GuestLinkByToken implements Store.
func (s *DB) GuestLinkByToken(ctx context.Context, tokenHash []byte) (GuestLink, error) {
	if len(tokenHash) == 0 {
		return GuestLink{}, fmt.Errorf("guest link by token: %w", ErrNotFound)
	}
	g, err := scanGuest(s.read.QueryRowContext(ctx, `SELECT `+guestCols+` FROM guest_links WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return GuestLink{}, fmt.Errorf("guest link by token: %w", err)
	}
	return g, nil
}

// GuestLinks implements Store.
func (s *DB) GuestLinks(ctx context.Context, patientID string) ([]GuestLink, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+guestCols+` FROM guest_links WHERE patient_id = ?
		ORDER BY created DESC, rowid DESC`, patientID)
	if err != nil {
		return nil, fmt.Errorf("guest links of patient %s: %w", patientID, mapErr(err))
	}
	gs, err := collect(rows, scanGuest)
	if err != nil {
		return nil, fmt.Errorf("guest links of patient %s: %w", patientID, err)
	}
	return gs, nil
}

// RevokeGuestLink implements Store.
func (s *DB) RevokeGuestLink(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.write.ExecContext(ctx, `UPDATE guest_links SET revoked = COALESCE(revoked, ?) WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("revoke guest link %s: %w", id, mapErr(err))
	}
	return affected(res, "revoke guest link "+id)
}

// GuestJoins implements Store.
func (s *DB) GuestJoins(ctx context.Context, id, callID string) error {
	if callID == "" {
		return fmt.Errorf("guest link %s joins: no call: %w", id, ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *txn) error {
		var joined string
		if err := tx.QueryRowContext(ctx, `SELECT call_id FROM guest_links WHERE id = ?`, id).Scan(&joined); err != nil {
			return mapErr(err)
		}
		switch joined {
		case callID:
			return nil
		case "":
			_, err := tx.ExecContext(ctx, `UPDATE guest_links SET call_id = ? WHERE id = ?`, callID, id)
			return mapErr(err)
		}
		return ErrUsed
	})
	if err != nil {
		return fmt.Errorf("guest link %s joins a call: %w", id, err)
	}
	return nil
}

func scanGuest(r scanner) (GuestLink, error) {
	var g GuestLink
	var created, expires, revoked stamp
	if err := r.Scan(&g.ID, &g.PatientID, &g.TokenHash, &g.Name, &g.Role, &created, &expires, &revoked, &g.CallID); err != nil {
		return GuestLink{}, mapErr(err)
	}
	g.Created, g.Expires, g.Revoked = created.T, expires.T, revoked.T
	return g, nil
}

package store

import (
	"context"
	"fmt"
	"strings"
)

// CreateWard stores a new ward. Ward names are unique (ErrConflict).
func (s *DB) CreateWard(ctx context.Context, w Ward) (Ward, error) {
	if strings.TrimSpace(w.Name) == "" {
		return Ward{}, fmt.Errorf("create ward: empty name: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Ward{}, err
	}
	w.ID = id
	w.Created = norm(s.now())
	w.NursePINHash = nil
	if _, err := s.write.ExecContext(ctx, `INSERT INTO wards (id, name, created) VALUES (?, ?, ?)`,
		w.ID, w.Name, ts(w.Created)); err != nil {
		return Ward{}, fmt.Errorf("create ward: %w", mapErr(err))
	}
	return w, nil
}

// Ward returns the ward with this id.
func (s *DB) Ward(ctx context.Context, id string) (Ward, error) {
	w, err := scanWard(s.read.QueryRowContext(ctx, `SELECT id, name, created, nurse_pin_hash FROM wards WHERE id = ?`, id))
	if err != nil {
		return Ward{}, fmt.Errorf("ward %s: %w", id, err)
	}
	return w, nil
}

// Wards returns every ward, by name.
func (s *DB) Wards(ctx context.Context) ([]Ward, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created, nurse_pin_hash FROM wards ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("wards: %w", mapErr(err))
	}
	ws, err := collect(rows, scanWard)
	if err != nil {
		return nil, fmt.Errorf("wards: %w", err)
	}
	return ws, nil
}

func scanWard(r scanner) (Ward, error) {
	var w Ward
	var created stamp
	if err := r.Scan(&w.ID, &w.Name, &created, &w.NursePINHash); err != nil {
		return Ward{}, mapErr(err)
	}
	w.Created = created.T
	if len(w.NursePINHash) == 0 {
		w.NursePINHash = nil
	}
	return w, nil
}

// SetNursePIN stores the bcrypt hash of the ward's nurse PIN, replacing the old one.
func (s *DB) SetNursePIN(ctx context.Context, wardID string, hash []byte) error {
	if len(hash) == 0 {
		return fmt.Errorf("set nurse PIN of ward %s: empty hash: %w", wardID, ErrInvalid)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE wards SET nurse_pin_hash = ? WHERE id = ?`, hash, wardID)
	if err != nil {
		return fmt.Errorf("set nurse PIN of ward %s: %w", wardID, mapErr(err))
	}
	return affected(res, "set nurse PIN of ward "+wardID)
}

// CreateBed stores a new bed in an existing ward (ErrNotFound otherwise). Bed names are unique
// within a ward (ErrConflict).
func (s *DB) CreateBed(ctx context.Context, b Bed) (Bed, error) {
	if strings.TrimSpace(b.Name) == "" {
		return Bed{}, fmt.Errorf("create bed: empty name: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Bed{}, err
	}
	b.ID = id
	if _, err := s.write.ExecContext(ctx, `INSERT INTO beds (id, ward_id, name) VALUES (?, ?, ?)`,
		b.ID, b.WardID, b.Name); err != nil {
		return Bed{}, fmt.Errorf("create bed in ward %s: %w", b.WardID, mapErr(err))
	}
	return b, nil
}

// Bed returns the bed with this id.
func (s *DB) Bed(ctx context.Context, id string) (Bed, error) {
	b, err := scanBed(s.read.QueryRowContext(ctx, `SELECT id, ward_id, name FROM beds WHERE id = ?`, id))
	if err != nil {
		return Bed{}, fmt.Errorf("bed %s: %w", id, err)
	}
	return b, nil
}

// Beds returns the beds of a ward, by name; none (and no error) for an unknown ward.
func (s *DB) Beds(ctx context.Context, wardID string) ([]Bed, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, ward_id, name FROM beds WHERE ward_id = ? ORDER BY name, id`, wardID)
	if err != nil {
		return nil, fmt.Errorf("beds of ward %s: %w", wardID, mapErr(err))
	}
	bs, err := collect(rows, scanBed)
	if err != nil {
		return nil, fmt.Errorf("beds of ward %s: %w", wardID, err)
	}
	return bs, nil
}

func scanBed(r scanner) (Bed, error) {
	var b Bed
	if err := r.Scan(&b.ID, &b.WardID, &b.Name); err != nil {
		return Bed{}, mapErr(err)
	}
	return b, nil
}

// bedInWard checks, inside tx, that the bed (when given) exists (ErrNotFound) and belongs to
// the ward (ErrInvalid).
func bedInWard(ctx context.Context, tx *txn, wardID, bedID string) error {
	if bedID == "" {
		return nil
	}
	var ward string
	if err := tx.QueryRowContext(ctx, `SELECT ward_id FROM beds WHERE id = ?`, bedID).Scan(&ward); err != nil {
		return fmt.Errorf("bed %s: %w", bedID, mapErr(err))
	}
	if ward != wardID {
		return fmt.Errorf("bed %s is not in ward %s: %w", bedID, wardID, ErrInvalid)
	}
	return nil
}

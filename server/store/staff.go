package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

const staffCols = `id, name, role, password_hash, failed_logins, locked_until, created`

func validStaff(s Staff) error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("empty name: %w", ErrInvalid)
	}
	if s.Role != RoleAdmin && s.Role != RoleNurse {
		return fmt.Errorf("role %q: %w", s.Role, ErrInvalid)
	}
	if len(s.PasswordHash) == 0 {
		return fmt.Errorf("no password hash: %w", ErrInvalid)
	}
	return nil
}

// CreateStaff stores a console account with its wards, which must exist (ErrNotFound).
func (s *DB) CreateStaff(ctx context.Context, st Staff) (Staff, error) {
	if err := validStaff(st); err != nil {
		return Staff{}, fmt.Errorf("create staff: %w", err)
	}
	id, err := s.newID()
	if err != nil {
		return Staff{}, err
	}
	st.ID = id
	st.Created = norm(s.now())
	st.LockedUntil = norm(st.LockedUntil)
	st.WardIDs = sortedWards(st.WardIDs)
	err = s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (`+staffCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.ID, st.Name, string(st.Role), st.PasswordHash, st.FailedLogins, ts(st.LockedUntil), ts(st.Created)); err != nil {
			return mapErr(err)
		}
		return setWards(ctx, tx, st.ID, st.WardIDs)
	})
	if err != nil {
		return Staff{}, fmt.Errorf("create staff: %w", err)
	}
	return st, nil
}

// Staff returns the account with this id.
func (s *DB) Staff(ctx context.Context, id string) (Staff, error) {
	st, err := s.staffWhere(ctx, `id = ?`, id)
	if err != nil {
		return Staff{}, fmt.Errorf("staff %s: %w", id, err)
	}
	return st, nil
}

// StaffByName returns the account with this login name, whatever its case.
func (s *DB) StaffByName(ctx context.Context, name string) (Staff, error) {
	st, err := s.staffWhere(ctx, `lower(name) = lower(?)`, name)
	if err != nil {
		return Staff{}, fmt.Errorf("staff by name: %w", err)
	}
	return st, nil
}

// AllStaff returns every account, by name.
func (s *DB) AllStaff(ctx context.Context) ([]Staff, error) {
	tx, err := s.read.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("all staff: %w", mapErr(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+staffCols+` FROM staff ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("all staff: %w", mapErr(err))
	}
	all, err := collect(rows, scanStaff)
	if err != nil {
		return nil, fmt.Errorf("all staff: %w", err)
	}
	for i := range all {
		if all[i].WardIDs, err = wardsOf(ctx, tx, all[i].ID); err != nil {
			return nil, fmt.Errorf("all staff: %w", err)
		}
	}
	return all, nil
}

// UpdateStaff changes the name, role, wards, password hash, failed logins and lock of an
// account in one transaction.
func (s *DB) UpdateStaff(ctx context.Context, st Staff) error {
	if err := validStaff(st); err != nil {
		return fmt.Errorf("update staff %s: %w", st.ID, err)
	}
	err := s.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET name = ?, role = ?, password_hash = ?,
			failed_logins = ?, locked_until = ? WHERE id = ?`,
			st.Name, string(st.Role), st.PasswordHash, st.FailedLogins, ts(st.LockedUntil), st.ID)
		if err != nil {
			return mapErr(err)
		}
		if err := affected(res, "staff"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_wards WHERE staff_id = ?`, st.ID); err != nil {
			return mapErr(err)
		}
		return setWards(ctx, tx, st.ID, sortedWards(st.WardIDs))
	})
	if err != nil {
		return fmt.Errorf("update staff %s: %w", st.ID, err)
	}
	return nil
}

// staffWhere reads one account and its wards in one read transaction.
func (s *DB) staffWhere(ctx context.Context, where string, arg any) (Staff, error) {
	tx, err := s.read.beginRead(ctx)
	if err != nil {
		return Staff{}, mapErr(err)
	}
	defer tx.Rollback()
	st, err := scanStaff(tx.QueryRowContext(ctx, `SELECT `+staffCols+` FROM staff WHERE `+where, arg))
	if err != nil {
		return Staff{}, err
	}
	st.WardIDs, err = wardsOf(ctx, tx, st.ID)
	return st, err
}

func scanStaff(r scanner) (Staff, error) {
	var st Staff
	var role string
	var locked, created stamp
	if err := r.Scan(&st.ID, &st.Name, &role, &st.PasswordHash, &st.FailedLogins, &locked, &created); err != nil {
		return Staff{}, mapErr(err)
	}
	st.Role = Role(role)
	st.LockedUntil, st.Created = locked.T, created.T
	return st, nil
}

func wardsOf(ctx context.Context, tx *txn, staffID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT ward_id FROM staff_wards WHERE staff_id = ? ORDER BY ward_id`, staffID)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r scanner) (string, error) {
		var id string
		return id, mapErr(r.Scan(&id))
	})
}

func setWards(ctx context.Context, tx *txn, staffID string, wardIDs []string) error {
	for _, w := range wardIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_wards (staff_id, ward_id) VALUES (?, ?)`, staffID, w); err != nil {
			return fmt.Errorf("ward %s: %w", w, mapErr(err))
		}
	}
	return nil
}

// sortedWards returns the ward ids sorted and without repeats, never nil.
func sortedWards(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

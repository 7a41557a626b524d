package store

import (
	"context"
	"fmt"
	"strings"
)

// Audit appends an entry to the audit log; At defaults to now. The action is required.
func (s *DB) Audit(ctx context.Context, e AuditEntry) error {
	if strings.TrimSpace(e.Action) == "" {
		return fmt.Errorf("audit: no action: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO audit (id, staff_id, action, target, at) VALUES (?, ?, ?, ?, ?)`,
		id, e.StaffID, e.Action, e.Target, ts(e.At)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, mapErr(err))
	}
	return nil
}

// AuditLog returns up to limit entries, newest first; limit <= 0 means all.
func (s *DB) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, staff_id, action, target, at FROM audit
		ORDER BY at DESC, rowid DESC LIMIT ?`, s.limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", mapErr(err))
	}
	es, err := collect(rows, func(r scanner) (AuditEntry, error) {
		var e AuditEntry
		var at stamp
		if err := r.Scan(&e.ID, &e.StaffID, &e.Action, &e.Target, &at); err != nil {
			return AuditEntry{}, mapErr(err)
		}
		e.At = at.T
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return es, nil
}

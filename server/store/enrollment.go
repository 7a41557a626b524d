package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreateEnrollment stores a one-time enrollment token for a ward (and optionally a bed of that
// ward, ErrInvalid otherwise), both of which must exist (ErrNotFound). The token hash is required; the code hash is optional.
// Short codes may come round again: a code hash still held by an enrollment that is used or
// expired (at e.Created, or now when zero) is released first, while one held by a live
// enrollment fails with ErrConflict, so the caller draws another code.
func (s *DB) CreateEnrollment(ctx context.Context, e Enrollment) error {
	if len(e.TokenHash) == 0 || e.Expires.IsZero() {
		return fmt.Errorf("create enrollment: token hash and expiry required: %w", ErrInvalid)
	}
	if e.Created.IsZero() {
		e.Created = s.now()
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := bedInWard(ctx, tx, e.WardID, e.BedID); err != nil {
			return err
		}
		if len(e.CodeHash) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET code_hash = NULL
				WHERE code_hash = ? AND (used IS NOT NULL OR expires <= ?)`,
				e.CodeHash, ts(e.Created)); err != nil {
				return mapErr(err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO enrollments
			(token_hash, code_hash, ward_id, bed_id, created, expires, used, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.TokenHash, nullBytes(e.CodeHash), e.WardID, nullStr(e.BedID),
			ts(e.Created), ts(e.Expires), ts(e.Used), nullStr(e.Fingerprint))
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("create enrollment for ward %s: %w", e.WardID, err)
	}
	return nil
}

const enrollmentCols = `token_hash, code_hash, ward_id, bed_id, created, expires, used, fingerprint`

// ConsumeEnrollment implements Store. One UPDATE claims the row, so of any number of
// concurrent calls with the same token exactly one succeeds.
func (s *DB) ConsumeEnrollment(ctx context.Context, hash []byte, fingerprint string, now time.Time) (Enrollment, error) {
	if len(hash) == 0 {
		return Enrollment{}, fmt.Errorf("consume enrollment: %w", ErrNotFound)
	}
	var e Enrollment
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		e, err = consume(ctx, tx, hash, fingerprint, now)
		return err
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("consume enrollment: %w", err)
	}
	return e, nil
}

// Enroll consumes the enrollment (as ConsumeEnrollment) and creates device d in its ward and
// bed (as CreateDevice), in one transaction: when either fails, neither happens, so a failed
// pairing leaves no device and does not use up the token.
func (s *DB) Enroll(ctx context.Context, hash []byte, fingerprint string, now time.Time, d Device) (Enrollment, Device, error) {
	if len(hash) == 0 {
		return Enrollment{}, Device{}, fmt.Errorf("enroll: %w", ErrNotFound)
	}
	if len(d.PublicKey) == 0 {
		return Enrollment{}, Device{}, fmt.Errorf("enroll: no public key: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Enrollment{}, Device{}, err
	}
	var e Enrollment
	err = s.inTx(ctx, func(tx *txn) error {
		var err error
		if e, err = consume(ctx, tx, hash, fingerprint, now); err != nil {
			return err
		}
		d.ID, d.WardID, d.BedID = id, e.WardID, e.BedID
		d.Created = norm(s.now())
		d.LastSeen = norm(d.LastSeen)
		return insertDevice(ctx, tx, d)
	})
	if err != nil {
		return Enrollment{}, Device{}, fmt.Errorf("enroll: %w", err)
	}
	return e, d, nil
}

// consume claims the enrollment inside tx; see ConsumeEnrollment.
func consume(ctx context.Context, tx *txn, hash []byte, fingerprint string, now time.Time) (Enrollment, error) {
	e, err := scanEnrollment(tx.QueryRowContext(ctx, `UPDATE enrollments SET used = ?
		WHERE (token_hash = ? OR code_hash = ?) AND used IS NULL AND expires > ?
			AND (fingerprint IS NULL OR fingerprint = ?)
		RETURNING `+enrollmentCols, ts(now), hash, hash, ts(now), fingerprint))
	if !errors.Is(err, ErrNotFound) {
		return e, err
	}
	// Nothing claimed: say why.
	old, err := scanEnrollment(tx.QueryRowContext(ctx, `SELECT `+enrollmentCols+` FROM enrollments
		WHERE token_hash = ? OR code_hash = ? ORDER BY created DESC LIMIT 1`, hash, hash))
	switch {
	case err != nil:
		return Enrollment{}, err
	case old.Fingerprint != "" && old.Fingerprint != fingerprint:
		return Enrollment{}, ErrNotFound // bound to another tablet: as if it did not exist
	case !old.Used.IsZero():
		return Enrollment{}, ErrUsed
	default:
		return Enrollment{}, ErrExpired
	}
}

func scanEnrollment(r scanner) (Enrollment, error) {
	var e Enrollment
	var bed, fp sql.NullString
	var created, expires, used stamp
	if err := r.Scan(&e.TokenHash, &e.CodeHash, &e.WardID, &bed, &created, &expires, &used, &fp); err != nil {
		return Enrollment{}, mapErr(err)
	}
	e.BedID, e.Fingerprint = bed.String, fp.String
	e.Created, e.Expires, e.Used = created.T, expires.T, used.T
	return e, nil
}

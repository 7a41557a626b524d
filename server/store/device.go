package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const deviceCols = `id, ward_id, bed_id, public_key, name, app_version, battery, created, last_seen, revoked`

// CreateDevice stores an enrolled tablet in an existing ward and bed (ErrNotFound otherwise);
// the bed must be in the ward (ErrInvalid).
// A public key may belong to one unrevoked device at a time (ErrConflict).
func (s *DB) CreateDevice(ctx context.Context, d Device) (Device, error) {
	if len(d.PublicKey) == 0 {
		return Device{}, fmt.Errorf("create device: no public key: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Device{}, err
	}
	d.ID = id
	d.Created = norm(s.now())
	d.LastSeen = norm(d.LastSeen)
	err = s.inTx(ctx, func(tx *txn) error { return insertDevice(ctx, tx, d) })
	if err != nil {
		return Device{}, fmt.Errorf("create device in ward %s: %w", d.WardID, err)
	}
	return d, nil
}

// insertDevice stores d inside tx, checking that its bed is in its ward.
func insertDevice(ctx context.Context, tx *txn, d Device) error {
	if err := bedInWard(ctx, tx, d.WardID, d.BedID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.WardID, nullStr(d.BedID), d.PublicKey, d.Name, d.AppVersion, d.Battery,
		ts(d.Created), ts(d.LastSeen), d.Revoked)
	return mapErr(err)
}

// Device returns the device with this id, revoked or not.
func (s *DB) Device(ctx context.Context, id string) (Device, error) {
	d, err := scanDevice(s.read.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE id = ?`, id))
	if err != nil {
		return Device{}, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// Devices returns the devices of a ward, revoked ones included, oldest first.
func (s *DB) Devices(ctx context.Context, wardID string) ([]Device, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE ward_id = ?
		ORDER BY created, rowid`, wardID)
	if err != nil {
		return nil, fmt.Errorf("devices of ward %s: %w", wardID, mapErr(err))
	}
	ds, err := collect(rows, scanDevice)
	if err != nil {
		return nil, fmt.Errorf("devices of ward %s: %w", wardID, err)
	}
	return ds, nil
}

// DeviceForBed returns the newest unrevoked device paired to the bed.
func (s *DB) DeviceForBed(ctx context.Context, bedID string) (Device, error) {
	d, err := scanDevice(s.read.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices
		WHERE bed_id = ? AND revoked = FALSE ORDER BY created DESC, rowid DESC LIMIT 1`, bedID))
	if err != nil {
		return Device{}, fmt.Errorf("device for bed %s: %w", bedID, err)
	}
	return d, nil
}

// RevokeDevice marks the device revoked; revoking it again changes nothing.
func (s *DB) RevokeDevice(ctx context.Context, id string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE devices SET revoked = TRUE WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("revoke device %s: %w", id, mapErr(err))
	}
	return affected(res, "revoke device "+id)
}

// TouchDevice records when the device was last seen.
func (s *DB) TouchDevice(ctx context.Context, id string, seen time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE devices SET last_seen = ? WHERE id = ?`, ts(seen), id)
	if err != nil {
		return fmt.Errorf("touch device %s: %w", id, mapErr(err))
	}
	return affected(res, "touch device "+id)
}

// UpdateDeviceStatus records the device's battery and (when not empty) app version, and when
// it was seen.
func (s *DB) UpdateDeviceStatus(ctx context.Context, id string, battery int, appVersion string, seen time.Time) error {
	if battery < -1 || battery > 100 {
		return fmt.Errorf("update status of device %s: battery %d: %w", id, battery, ErrInvalid)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE devices SET battery = ?,
		app_version = CASE WHEN ? = '' THEN app_version ELSE ? END, last_seen = ? WHERE id = ?`,
		battery, appVersion, appVersion, ts(seen), id)
	if err != nil {
		return fmt.Errorf("update status of device %s: %w", id, mapErr(err))
	}
	return affected(res, "update status of device "+id)
}

func scanDevice(r scanner) (Device, error) {
	var d Device
	var bed sql.NullString
	var created, seen stamp
	if err := r.Scan(&d.ID, &d.WardID, &bed, &d.PublicKey, &d.Name, &d.AppVersion, &d.Battery,
		&created, &seen, &d.Revoked); err != nil {
		return Device{}, mapErr(err)
	}
	d.BedID = bed.String
	d.Created, d.LastSeen = created.T, seen.T
	return d, nil
}

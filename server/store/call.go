package store

import (
	"context"
	"fmt"
)

const callCols = `id, patient_id, contact_id, device_id, direction, started, answered, ended, reason, setup_ms`

// LogCall appends a row to the call log of an existing patient (ErrNotFound otherwise).
// The direction must be FromFamily or FromPatient (ErrInvalid).
func (s *DB) LogCall(ctx context.Context, c CallRecord) (CallRecord, error) {
	if c.Direction != FromFamily && c.Direction != FromPatient {
		return CallRecord{}, fmt.Errorf("log call: direction %q: %w", c.Direction, ErrInvalid)
	}
	if c.Started.IsZero() {
		return CallRecord{}, fmt.Errorf("log call: no start time: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return CallRecord{}, err
	}
	c.ID = id
	c.Started, c.Answered, c.Ended = norm(c.Started), norm(c.Answered), norm(c.Ended)
	if _, err := s.write.ExecContext(ctx, `INSERT INTO calls (`+callCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PatientID, c.ContactID, c.DeviceID, string(c.Direction),
		ts(c.Started), ts(c.Answered), ts(c.Ended), c.Reason, c.SetupMS); err != nil {
		return CallRecord{}, fmt.Errorf("log call of patient %s: %w", c.PatientID, mapErr(err))
	}
	return c, nil
}

// Calls returns up to limit calls of the patient, newest first; limit <= 0 means all.
func (s *DB) Calls(ctx context.Context, patientID string, limit int) ([]CallRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+callCols+` FROM calls WHERE patient_id = ?
		ORDER BY started DESC, rowid DESC LIMIT ?`, patientID, s.limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("calls of patient %s: %w", patientID, mapErr(err))
	}
	cs, err := collect(rows, scanCall)
	if err != nil {
		return nil, fmt.Errorf("calls of patient %s: %w", patientID, err)
	}
	return cs, nil
}

func scanCall(r scanner) (CallRecord, error) {
	var c CallRecord
	var dir string
	var started, answered, ended stamp
	if err := r.Scan(&c.ID, &c.PatientID, &c.ContactID, &c.DeviceID, &dir,
		&started, &answered, &ended, &c.Reason, &c.SetupMS); err != nil {
		return CallRecord{}, mapErr(err)
	}
	c.Direction = Direction(dir)
	c.Started, c.Answered, c.Ended = started.T, answered.T, ended.T
	return c, nil
}

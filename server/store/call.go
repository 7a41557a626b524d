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
	for i, p := range c.Participants {
		if p.Kind != KindDevice && p.Kind != KindFamily && p.Kind != KindGuest {
			return CallRecord{}, fmt.Errorf("log call: participant kind %q: %w", p.Kind, ErrInvalid)
		}
		c.Participants[i].Joined, c.Participants[i].Left = norm(p.Joined), norm(p.Left)
	}
	err = s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calls (`+callCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.PatientID, c.ContactID, c.DeviceID, string(c.Direction),
			ts(c.Started), ts(c.Answered), ts(c.Ended), c.Reason, c.SetupMS); err != nil {
			return mapErr(err)
		}
		for i, p := range c.Participants {
			if _, err := tx.ExecContext(ctx, `INSERT INTO call_participants
				(call_id, seq, participant_id, kind, joined, left_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				c.ID, i, p.ID, p.Kind, ts(p.Joined), ts(p.Left), p.Reason); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return CallRecord{}, fmt.Errorf("log call of patient %s: %w", c.PatientID, err)
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
	if err := s.callParticipants(ctx, patientID, cs); err != nil {
		return nil, fmt.Errorf("calls of patient %s: %w", patientID, err)
	}
	return cs, nil
}

// callParticipants fills in the participants of the patient's calls cs.
func (s *DB) callParticipants(ctx context.Context, patientID string, cs []CallRecord) error {
	if len(cs) == 0 {
		return nil
	}
	at := make(map[string]int, len(cs))
	for i, c := range cs {
		at[c.ID] = i
	}
	rows, err := s.read.QueryContext(ctx, `SELECT cp.call_id, cp.participant_id, cp.kind, cp.joined, cp.left_at, cp.reason
		FROM call_participants cp JOIN calls c ON c.id = cp.call_id
		WHERE c.patient_id = ? ORDER BY cp.call_id, cp.seq`, patientID)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var callID string
		var p CallParticipant
		var joined, left stamp
		if err := rows.Scan(&callID, &p.ID, &p.Kind, &joined, &left, &p.Reason); err != nil {
			return mapErr(err)
		}
		p.Joined, p.Left = joined.T, left.T
		if i, ok := at[callID]; ok {
			cs[i].Participants = append(cs[i].Participants, p)
		}
	}
	return mapErr(rows.Err())
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

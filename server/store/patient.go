package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const patientCols = `id, bed_id, first_name, language, auto_answer, visiting_hours, admitted, discharged, group_calls_off`

// Admit stores a patient in an existing bed (ErrNotFound otherwise); Admitted defaults to now
// and Discharged is ignored. A partial unique index keeps one admitted patient per bed, so a
// second admission fails with ErrConflict even under concurrent calls.
func (s *DB) Admit(ctx context.Context, p Patient) (Patient, error) {
	if strings.TrimSpace(p.FirstName) == "" {
		return Patient{}, fmt.Errorf("admit: empty first name: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Patient{}, err
	}
	p.ID = id
	if p.Admitted.IsZero() {
		p.Admitted = s.now()
	}
	p.Admitted = norm(p.Admitted)
	p.Discharged = time.Time{}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO patients (`+patientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
		p.ID, p.BedID, p.FirstName, p.Language, p.AutoAnswer, p.VisitingHours, ts(p.Admitted), p.GroupCallsOff); err != nil {
		return Patient{}, fmt.Errorf("admit to bed %s: %w", p.BedID, mapErr(err))
	}
	return p, nil
}

// Patient returns the patient with this id, admitted or discharged.
func (s *DB) Patient(ctx context.Context, id string) (Patient, error) {
	p, err := scanPatient(s.read.QueryRowContext(ctx, `SELECT `+patientCols+` FROM patients WHERE id = ?`, id))
	if err != nil {
		return Patient{}, fmt.Errorf("patient %s: %w", id, err)
	}
	return p, nil
}

// PatientInBed returns the patient admitted to the bed, or ErrNotFound.
func (s *DB) PatientInBed(ctx context.Context, bedID string) (Patient, error) {
	p, err := scanPatient(s.read.QueryRowContext(ctx, `SELECT `+patientCols+` FROM patients
		WHERE bed_id = ? AND discharged IS NULL`, bedID))
	if err != nil {
		return Patient{}, fmt.Errorf("patient in bed %s: %w", bedID, err)
	}
	return p, nil
}

// UpdatePatient changes the first name, language, auto-answer and visiting hours; the bed and
// the admission times stay.
func (s *DB) UpdatePatient(ctx context.Context, p Patient) error {
	if strings.TrimSpace(p.FirstName) == "" {
		return fmt.Errorf("update patient %s: empty first name: %w", p.ID, ErrInvalid)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE patients
		SET first_name = ?, language = ?, auto_answer = ?, visiting_hours = ?, group_calls_off = ? WHERE id = ?`,
		p.FirstName, p.Language, p.AutoAnswer, p.VisitingHours, p.GroupCallsOff, p.ID)
	if err != nil {
		return fmt.Errorf("update patient %s: %w", p.ID, mapErr(err))
	}
	return affected(res, "update patient "+p.ID)
}

// Discharge ends the admission at at and revokes (at at) every unrevoked link of the
// patient's contacts, in one transaction. Discharging a discharged patient keeps the first
// discharge time and succeeds.
func (s *DB) Discharge(ctx context.Context, patientID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	err := s.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE patients SET discharged = COALESCE(discharged, ?) WHERE id = ?`,
			ts(at), patientID)
		if err != nil {
			return mapErr(err)
		}
		if err := affected(res, "patient"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE links SET revoked = ?
			WHERE revoked IS NULL AND contact_id IN (SELECT id FROM contacts WHERE patient_id = ?)`,
			ts(at), patientID)
		if err != nil {
			return mapErr(err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE guest_links SET revoked = ? WHERE revoked IS NULL AND patient_id = ?`,
			ts(at), patientID)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("discharge %s: %w", patientID, err)
	}
	return nil
}

func scanPatient(r scanner) (Patient, error) {
	var p Patient
	var admitted, discharged stamp
	if err := r.Scan(&p.ID, &p.BedID, &p.FirstName, &p.Language, &p.AutoAnswer, &p.VisitingHours,
		&admitted, &discharged, &p.GroupCallsOff); err != nil {
		return Patient{}, mapErr(err)
	}
	p.Admitted, p.Discharged = admitted.T, discharged.T
	return p, nil
}

// admitted checks, inside tx, that the patient exists (ErrNotFound) and is still admitted
// (ErrConflict).
func admitted(ctx context.Context, tx *txn, patientID string) error {
	var discharged stamp
	if err := tx.QueryRowContext(ctx, `SELECT discharged FROM patients WHERE id = ?`, patientID).
		Scan(&discharged); err != nil {
		return fmt.Errorf("patient %s: %w", patientID, mapErr(err))
	}
	if !discharged.T.IsZero() {
		return fmt.Errorf("patient %s is discharged: %w", patientID, ErrConflict)
	}
	return nil
}

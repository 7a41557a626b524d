package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PurgeStats says what Purge removed.
type PurgeStats struct {
	Patients int // discharged admissions whose personal data went
	Contacts int // their contacts (with their links)
	Photos   int // photos no contact shows any more
}

// PhotoPatients returns the patients (admitted or not) one of whose contacts shows photo hash.
func (s *DB) PhotoPatients(ctx context.Context, hash string) ([]Patient, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT `+prefixed("p.", patientCols)+`
		FROM patients p JOIN contacts c ON c.patient_id = p.id WHERE c.photo_hash = ?`, hash)
	if err != nil {
		return nil, fmt.Errorf("patients of photo %s: %w", hash, mapErr(err))
	}
	ps, err := collect(rows, scanPatient)
	if err != nil {
		return nil, fmt.Errorf("patients of photo %s: %w", hash, err)
	}
	return ps, nil
}

// Purge deletes the personal data of the admissions discharged before dischargedBefore: their
// contacts with their links and photos, the patient's first name, language and visiting
// hours. What statistics need stays: the patient row's bed and times, and its call-log rows
// without the contact (direction, times, reason, setup time, device). Photos that no contact
// shows and that were stored before orphansBefore (those of an upload still being saved are
// newer) go too. It is idempotent, in one transaction.
func (s *DB) Purge(ctx context.Context, dischargedBefore, orphansBefore time.Time) (PurgeStats, error) {
	var st PurgeStats
	err := s.inTx(ctx, func(tx *txn) error {
		const due = `SELECT id FROM patients WHERE discharged IS NOT NULL AND discharged < ?`
		cut := ts(dischargedBefore)
		res, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE patient_id IN (`+due+`)`, cut)
		if err != nil {
			return mapErr(err)
		}
		n, _ := res.RowsAffected()
		st.Contacts = int(n)
		res, err = tx.ExecContext(ctx, `UPDATE patients SET first_name = '', language = '', visiting_hours = ''
			WHERE id IN (`+due+`) AND (first_name != '' OR language != '' OR visiting_hours != '')`, cut)
		if err != nil {
			return mapErr(err)
		}
		n, _ = res.RowsAffected()
		st.Patients = int(n)
		if _, err := tx.ExecContext(ctx, `UPDATE calls SET contact_id = ''
			WHERE contact_id != '' AND patient_id IN (`+due+`)`, cut); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE call_participants SET participant_id = ''
			WHERE participant_id != '' AND kind != 'device'
			AND call_id IN (SELECT id FROM calls WHERE patient_id IN (`+due+`))`, cut); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM guest_links WHERE patient_id IN (`+due+`)`, cut); err != nil {
			return mapErr(err)
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM photos WHERE created < ?
			AND hash NOT IN (SELECT photo_hash FROM contacts)`, ts(orphansBefore))
		if err != nil {
			return mapErr(err)
		}
		n, _ = res.RowsAffected()
		st.Photos = int(n)
		return nil
	})
	if err != nil {
		return PurgeStats{}, fmt.Errorf("purge: %w", err)
	}
	return st, nil
}

// prefixed puts prefix before every column of a comma-separated list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

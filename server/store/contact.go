package store

import (
	"context"
	"fmt"
	"strings"
)

const contactCols = `id, patient_id, name, relation, language, auto_answer, photo_hash, join_off`

// CreateContact stores a family contact of an admitted patient: ErrNotFound for an unknown
// patient, ErrConflict for a discharged one.
func (s *DB) CreateContact(ctx context.Context, c Contact) (Contact, error) {
	if strings.TrimSpace(c.Name) == "" {
		return Contact{}, fmt.Errorf("create contact: empty name: %w", ErrInvalid)
	}
	id, err := s.newID()
	if err != nil {
		return Contact{}, err
	}
	c.ID = id
	err = s.inTx(ctx, func(tx *txn) error {
		if err := admitted(ctx, tx, c.PatientID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO contacts (`+contactCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.PatientID, c.Name, c.Relation, c.Language, c.AutoAnswer, c.PhotoHash, c.JoinOff)
		return mapErr(err)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// Contact returns the contact with this id.
func (s *DB) Contact(ctx context.Context, id string) (Contact, error) {
	c, err := scanContact(s.read.QueryRowContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = ?`, id))
	if err != nil {
		return Contact{}, fmt.Errorf("contact %s: %w", id, err)
	}
	return c, nil
}

// Contacts returns the contacts of a patient in the order they were added.
func (s *DB) Contacts(ctx context.Context, patientID string) ([]Contact, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE patient_id = ?
		ORDER BY rowid`, patientID)
	if err != nil {
		return nil, fmt.Errorf("contacts of patient %s: %w", patientID, mapErr(err))
	}
	cs, err := collect(rows, scanContact)
	if err != nil {
		return nil, fmt.Errorf("contacts of patient %s: %w", patientID, err)
	}
	return cs, nil
}

// UpdateContact changes everything but the id and the patient. A photo it replaces is
// deleted when no other contact shows it.
func (s *DB) UpdateContact(ctx context.Context, c Contact) error {
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("update contact %s: empty name: %w", c.ID, ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *txn) error {
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT photo_hash FROM contacts WHERE id = ?`, c.ID).Scan(&old); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts
			SET name = ?, relation = ?, language = ?, auto_answer = ?, photo_hash = ?, join_off = ? WHERE id = ?`,
			c.Name, c.Relation, c.Language, c.AutoAnswer, c.PhotoHash, c.JoinOff, c.ID); err != nil {
			return mapErr(err)
		}
		if old != c.PhotoHash {
			return deletePhotoIfUnused(ctx, tx, old)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update contact %s: %w", c.ID, err)
	}
	return nil
}

// DeleteContact removes the contact, its links (so its family links stop working at once) and
// its photo when no other contact shows it; call-log rows that name it stay.
func (s *DB) DeleteContact(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx *txn) error {
		var photo string
		if err := tx.QueryRowContext(ctx, `SELECT photo_hash FROM contacts WHERE id = ?`, id).Scan(&photo); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, id); err != nil {
			return mapErr(err)
		}
		return deletePhotoIfUnused(ctx, tx, photo)
	})
	if err != nil {
		return fmt.Errorf("delete contact %s: %w", id, err)
	}
	return nil
}

// deletePhotoIfUnused deletes photo hash (none when empty) unless a contact shows it.
func deletePhotoIfUnused(ctx context.Context, tx *txn, hash string) error {
	if hash == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM photos WHERE hash = ?
		AND NOT EXISTS (SELECT 1 FROM contacts WHERE photo_hash = ?)`, hash, hash)
	return mapErr(err)
}

func scanContact(r scanner) (Contact, error) {
	var c Contact
	if err := r.Scan(&c.ID, &c.PatientID, &c.Name, &c.Relation, &c.Language, &c.AutoAnswer, &c.PhotoHash, &c.JoinOff); err != nil {
		return Contact{}, mapErr(err)
	}
	return c, nil
}

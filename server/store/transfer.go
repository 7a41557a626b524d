package store

import (
	"context"
	"fmt"
)

// Transfer moves an admitted patient, with their contacts and links, to another bed. It
// fails with ErrNotFound when the patient or the bed does not exist and with ErrConflict when
// the patient is discharged or the bed already has an admitted patient.
func (s *DB) Transfer(ctx context.Context, patientID, bedID string) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if err := admitted(ctx, tx, patientID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE patients SET bed_id = ? WHERE id = ?`, bedID, patientID)
		if err != nil {
			return mapErr(err)
		}
		return affected(res, "patient")
	})
	if err != nil {
		return fmt.Errorf("transfer %s to bed %s: %w", patientID, bedID, err)
	}
	return nil
}

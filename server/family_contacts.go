package server

import (
	"context"
	"fmt"

	"bedside/call/signal"
	"bedside/server/store"
)

// addOtherContacts puts into a family page's configuration the patient's other contacts, whom
// the page may ring into a call in progress ("Add"), when the patient's group calls are on and
// contact k may join calls: their ids, names and relations, nothing else.
func addOtherContacts(ctx context.Context, st store.Store, cfg *signal.Config, k store.Contact) error {
	if !cfg.GroupCalls || !cfg.MayJoin {
		return nil
	}
	contacts, err := st.Contacts(ctx, k.PatientID)
	if err != nil {
		return fmt.Errorf("server: contacts for a family page: %w", err)
	}
	for _, o := range contacts {
		if o.ID != k.ID {
			cfg.Contacts = append(cfg.Contacts, signal.Contact{Party: signal.Party{ID: o.ID, Name: o.Name, Relation: o.Relation}})
		}
	}
	return nil
}

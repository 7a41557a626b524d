package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"bedside/server/store"
)

// Open a store, make a ward with a bed and admit a patient to it.
func Example() {
	dir, err := os.MkdirTemp("", "bedside-store-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(dir, "bedside.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ward, err := s.CreateWard(ctx, store.Ward{Name: "Cardiology"})
	if err != nil {
		fmt.Println(err)
		return
	}
	bed, err := s.CreateBed(ctx, store.Bed{WardID: ward.ID, Name: "Bed 4"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := s.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Maria", Language: "it"})
	if err != nil {
		fmt.Println(err)
		return
	}
	inBed, err := s.PatientInBed(ctx, bed.ID)
	fmt.Println(inBed.ID == p.ID, err)

	_, err = s.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Luca"})
	fmt.Println(errors.Is(err, store.ErrConflict))
	// Output:
	// true <nil>
	// true
}

package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"bedside/provisioning"
	"bedside/server/store"
)

// The demo ward's fixed names.
const (
	DemoWard     = "Demo ward"
	DemoBed      = "1"
	DemoPatient  = "Maria"
	DemoContact  = "Anna"
	DemoRelation = "Daughter"
	// DemoNursePIN unlocks the demo ward's tablets' staff screens until a nurse sets another.
	DemoNursePIN = "123456"
)

// DemoOptions are the optional inputs of SeedDemo.
type DemoOptions struct {
	BaseURL   string           // for FamilyURL; "http://127.0.0.1:8080" when empty
	Now       func() time.Time // time.Now when nil
	Rand      io.Reader        // crypto/rand when nil
	LinkTTL   time.Duration    // the family link's lifetime; 24 h when zero
	EnrollTTL time.Duration    // the enrollment's lifetime; 24 h when zero
}

// DemoInfo is what SeedDemo made: the secrets to print and the ids it used.
type DemoInfo struct {
	FamilyURL       string // BaseURL/j/{FamilyToken}
	FamilyToken     string
	PairingCode     string // the short code a tablet can type, as "ABCD-EFGH"
	EnrollmentToken string // the long token a QR code carries
	WardID          string
	BedID           string
	PatientID       string
	ContactID       string
	// NursePIN is DemoNursePIN while it is the demo ward's PIN; empty once a nurse has
	// changed it.
	NursePIN string
}

// SeedDemo makes sure the demo ward exists: ward "Demo ward", bed "1", patient "Maria" (en)
// with contact "Anna" (daughter), creating whatever is missing, and issues a fresh family link
// for Anna and a fresh enrollment for the bed, so that the returned secrets always work.
func SeedDemo(ctx context.Context, st store.Store, opts DemoOptions) (DemoInfo, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:8080"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.LinkTTL <= 0 {
		opts.LinkTTL = 24 * time.Hour
	}
	if opts.EnrollTTL <= 0 {
		opts.EnrollTTL = 24 * time.Hour
	}
	var info DemoInfo
	ward, err := demoWard(ctx, st)
	if err != nil {
		return info, err
	}
	bed, err := demoBed(ctx, st, ward.ID)
	if err != nil {
		return info, err
	}
	patient, err := st.PatientInBed(ctx, bed.ID)
	if errors.Is(err, store.ErrNotFound) {
		patient, err = st.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: DemoPatient, Language: "en", Admitted: opts.Now()})
	}
	if err != nil {
		return info, fmt.Errorf("server: seed demo patient: %w", err)
	}
	contact, err := demoContact(ctx, st, patient.ID)
	if err != nil {
		return info, err
	}
	token, err := NewFamilyLink(ctx, st, contact.ID, opts.LinkTTL, LinkOptions{Now: opts.Now, Rand: opts.Rand})
	if err != nil {
		return info, err
	}
	enrollToken, code, err := NewEnrollment(ctx, st, ward.ID, bed.ID, opts.EnrollTTL, EnrollmentOptions{Now: opts.Now, Rand: opts.Rand})
	if err != nil {
		return info, err
	}
	pin, err := demoPIN(ctx, st, ward)
	if err != nil {
		return info, err
	}
	return DemoInfo{
		NursePIN:        pin,
		FamilyURL:       FamilyURL(opts.BaseURL, token),
		FamilyToken:     token,
		PairingCode:     provisioning.FormatCode(code),
		EnrollmentToken: enrollToken,
		WardID:          ward.ID,
		BedID:           bed.ID,
		PatientID:       patient.ID,
		ContactID:       contact.ID,
	}, nil
}

func demoWard(ctx context.Context, st store.Store) (store.Ward, error) {
	wards, err := st.Wards(ctx)
	if err != nil {
		return store.Ward{}, fmt.Errorf("server: seed demo: %w", err)
	}
	for _, w := range wards {
		if w.Name == DemoWard {
			return w, nil
		}
	}
	w, err := st.CreateWard(ctx, store.Ward{Name: DemoWard})
	if err != nil {
		return store.Ward{}, fmt.Errorf("server: seed demo ward: %w", err)
	}
	return w, nil
}

// demoPIN gives the demo ward the PIN DemoNursePIN when it has none, and returns the ward's PIN
// when it is still that one. Its hash is the tablets' kind (provisioning.HashNursePIN).
func demoPIN(ctx context.Context, st store.Store, ward store.Ward) (string, error) {
	if len(ward.NursePINHash) == 0 {
		hash, err := provisioning.HashNursePIN(DemoNursePIN, rand.Reader)
		if err != nil {
			return "", fmt.Errorf("server: seed demo PIN: %w", err)
		}
		if err := st.SetNursePIN(ctx, ward.ID, []byte(hash)); err != nil {
			return "", fmt.Errorf("server: seed demo PIN: %w", err)
		}
		return DemoNursePIN, nil
	}
	if ok, err := provisioning.CheckNursePIN(string(ward.NursePINHash), DemoNursePIN); err == nil && ok {
		return DemoNursePIN, nil
	}
	return "", nil
}

func demoBed(ctx context.Context, st store.Store, wardID string) (store.Bed, error) {
	beds, err := st.Beds(ctx, wardID)
	if err != nil {
		return store.Bed{}, fmt.Errorf("server: seed demo: %w", err)
	}
	for _, b := range beds {
		if b.Name == DemoBed {
			return b, nil
		}
	}
	b, err := st.CreateBed(ctx, store.Bed{WardID: wardID, Name: DemoBed})
	if err != nil {
		return store.Bed{}, fmt.Errorf("server: seed demo bed: %w", err)
	}
	return b, nil
}

func demoContact(ctx context.Context, st store.Store, patientID string) (store.Contact, error) {
	contacts, err := st.Contacts(ctx, patientID)
	if err != nil {
		return store.Contact{}, fmt.Errorf("server: seed demo: %w", err)
	}
	for _, k := range contacts {
		if k.Name == DemoContact {
			return k, nil
		}
	}
	k, err := st.CreateContact(ctx, store.Contact{PatientID: patientID, Name: DemoContact, Relation: DemoRelation, Language: "en"})
	if err != nil {
		return store.Contact{}, fmt.Errorf("server: seed demo contact: %w", err)
	}
	return k, nil
}

// EnrollmentOptions are the optional inputs of NewEnrollment.
type EnrollmentOptions struct {
	Now  func() time.Time // time.Now when nil
	Rand io.Reader        // crypto/rand when nil
}

// NewEnrollment creates a one-time enrollment for the ward (and bed, when not empty) that
// expires after ttl, and returns its long token (for a QR code) and short code (for typing).
// Only their hashes (provisioning.HashSecret) are stored.
func NewEnrollment(ctx context.Context, st store.Store, wardID, bedID string, ttl time.Duration, opts EnrollmentOptions) (token, code string, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if ttl <= 0 {
		return "", "", fmt.Errorf("server: new enrollment: %w: ttl must be positive", ErrBadRequest)
	}
	const attempts = 5 // a short code still held by a live enrollment: draw another
	for range attempts {
		token, code, err = provisioning.NewEnrollmentSecrets(opts.Rand)
		if err != nil {
			return "", "", fmt.Errorf("server: new enrollment: %w", err)
		}
		now := opts.Now()
		err = st.CreateEnrollment(ctx, store.Enrollment{
			TokenHash: provisioning.HashSecret(token), CodeHash: provisioning.HashSecret(code),
			WardID: wardID, BedID: bedID, Created: now, Expires: now.Add(ttl)})
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("server: new enrollment: %w", err)
	}
	return token, code, nil
}

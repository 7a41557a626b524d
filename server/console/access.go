package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"bedside/server/store"
)

// Every look-up of something a staff member asks for by id goes through these, which check
// the ward: what is outside the user's wards is ErrNotFound, exactly like what does not exist.

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

func (c *Console) wardFor(ctx context.Context, u *user, id string) (store.Ward, error) {
	if !u.canWard(id) {
		return store.Ward{}, ErrNotFound
	}
	w, err := c.cfg.Store.Ward(ctx, id)
	return w, notFound(err)
}

func (c *Console) bedFor(ctx context.Context, u *user, id string) (store.Ward, store.Bed, error) {
	b, err := c.cfg.Store.Bed(ctx, id)
	if err != nil {
		return store.Ward{}, store.Bed{}, notFound(err)
	}
	w, err := c.wardFor(ctx, u, b.WardID)
	if err != nil {
		return store.Ward{}, store.Bed{}, err
	}
	return w, b, nil
}

// place is where a patient or contact lives.
type place struct {
	Ward    store.Ward
	Bed     store.Bed
	Patient store.Patient
}

func (c *Console) patientFor(ctx context.Context, u *user, id string) (place, error) {
	p, err := c.cfg.Store.Patient(ctx, id)
	if err != nil {
		return place{}, notFound(err)
	}
	w, b, err := c.bedFor(ctx, u, p.BedID)
	if err != nil {
		return place{}, err
	}
	return place{Ward: w, Bed: b, Patient: p}, nil
}

func (c *Console) contactFor(ctx context.Context, u *user, id string) (place, store.Contact, error) {
	k, err := c.cfg.Store.Contact(ctx, id)
	if err != nil {
		return place{}, store.Contact{}, notFound(err)
	}
	pl, err := c.patientFor(ctx, u, k.PatientID)
	if err != nil {
		return place{}, store.Contact{}, err
	}
	return pl, k, nil
}

func (c *Console) deviceFor(ctx context.Context, u *user, id string) (store.Ward, store.Device, error) {
	d, err := c.cfg.Store.Device(ctx, id)
	if err != nil {
		return store.Ward{}, store.Device{}, notFound(err)
	}
	w, err := c.wardFor(ctx, u, d.WardID)
	if err != nil {
		return store.Ward{}, store.Device{}, err
	}
	return w, d, nil
}

// visibleWards are the wards the user works in, by name.
func (c *Console) visibleWards(ctx context.Context, u *user) ([]store.Ward, error) {
	all, err := c.cfg.Store.Wards(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Ward
	for _, w := range all {
		if u.canWard(w.ID) {
			out = append(out, w)
		}
	}
	return out, nil
}

// cleanText trims a form field and checks it: valid UTF-8, no control characters, at most
// max characters. An empty result is the caller's to judge.
func cleanText(s string, max int) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return s, true
}

// requiredText is cleanText for a field that must not be empty; key names its error message.
func requiredText(s string, max int, key string) (string, error) {
	t, ok := cleanText(s, max)
	if !ok || t == "" {
		return "", bad(key)
	}
	return t, nil
}

// optionalText is cleanText for a field that may be empty.
func optionalText(s string, max int) (string, error) {
	t, ok := cleanText(s, max)
	if !ok {
		return "", bad("text")
	}
	return t, nil
}

// language checks a language field; empty means the default.
func language(s string) (string, error) {
	if s == "" {
		return languages[0], nil
	}
	for _, l := range languages {
		if s == l {
			return l, nil
		}
	}
	return "", bad("language")
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"bedside/provisioning"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

// subcommand runs `user add` or `enroll` when args name one; ok is false otherwise.
func subcommand(ctx context.Context, args []string, stdout, stderr io.Writer) (ok bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return true, errors.New("usage: bedside-server user add -data DIR|-db URL -name NAME -role admin|nurse [-ward W]")
		}
		return true, userAdd(ctx, args[2:], stdout, stderr)
	case "enroll":
		return true, enroll(ctx, args[1:], stdout, stderr)
	}
	return false, nil
}

// dbUsage is the -db flag's help.
const dbUsage = "the database: a postgres:// (or postgresql://) URL, or a SQLite file (default: bedside.db in -data). " +
	"Give a PostgreSQL password in PGPASSWORD or ~/.pgpass rather than in the URL, which other users of the machine can see"

// dbTarget is where the store is: db when given (a PostgreSQL URL or a SQLite file), else
// bedside.db in the data directory.
func dbTarget(db, data string) string {
	if db != "" {
		return db
	}
	return filepath.Join(data, "bedside.db")
}

// openStore opens the server's database (see dbTarget), which must exist already for
// commands that change a running ward: a SQLite file must be there, a PostgreSQL database
// must answer.
func openStore(ctx context.Context, db, dir string) (*store.DB, error) {
	target := dbTarget(db, dir)
	if !store.IsPostgresURL(target) {
		if _, err := os.Stat(target); err != nil {
			return nil, fmt.Errorf("no ward database at %s (start the server with -data %s first): %w", target, dir, err)
		}
	}
	return store.Open(ctx, target, store.Options{})
}

// userAdd creates a console account and prints its one-time password.
func userAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("bedside-server user add", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", "data", "the server's data directory")
	db := fl.String("db", "", dbUsage)
	name := fl.String("name", "", "the account's login name")
	role := fl.String("role", "nurse", "admin or nurse")
	ward := fl.String("ward", "", "comma-separated ward names (or ids) a nurse works on")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("user add: -name is required")
	}
	r := store.Role(*role)
	if r != store.RoleAdmin && r != store.RoleNurse {
		return fmt.Errorf("user add: -role must be admin or nurse, not %q", *role)
	}
	var wards []string
	for _, w := range strings.Split(*ward, ",") {
		if w = strings.TrimSpace(w); w != "" {
			wards = append(wards, w)
		}
	}
	st, err := openStore(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	pw, err := console.AddUser(ctx, st, *name, r, wards, rand.Reader)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "user %s (%s) added; one-time password: %s\n", *name, r, pw)
	return nil
}

// enroll issues an enrollment for a ward (and bed), prints the QR payload and the short code,
// and writes the QR code as a PNG when asked.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("bedside-server enroll", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", "data", "the server's data directory")
	db := fl.String("db", "", dbUsage)
	wardName := fl.String("ward", "", "the ward's name")
	bedName := fl.String("bed", "", "the bed's name (optional: pair to the ward only)")
	baseURL := fl.String("base-url", "http://127.0.0.1:8080", "the server's URL as tablets reach it")
	png := fl.String("png", "", "write the QR code to this PNG file")
	ttl := fl.Duration("ttl", 15*time.Minute, "how long the enrollment stays valid")
	cert := fl.String("tls-cert", "", "the server's TLS certificate, to pin it in the QR code")
	key := fl.String("tls-key", "", "the certificate's key")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *wardName == "" {
		return errors.New("enroll: -ward is required")
	}
	if err := provisioning.CheckServerURL(*baseURL); err != nil {
		return fmt.Errorf("enroll: -base-url: %w", err)
	}
	pin, err := certificatePin(*cert, *key)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *db, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	ward, bed, err := findWardBed(ctx, st, *wardName, *bedName)
	if err != nil {
		return err
	}
	token, code, err := server.NewEnrollment(ctx, st, ward.ID, bed.ID, *ttl, server.EnrollmentOptions{})
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	payload, err := provisioning.EncodePayload(provisioning.Payload{Server: strings.TrimRight(*baseURL, "/"), Token: token, Pin: pin, Ward: ward.Name, Bed: bed.Name})
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	fmt.Fprintf(stdout, "enrollment payload: %s\n", payload)
	fmt.Fprintf(stdout, "device pairing code: %s\n", code)
	fmt.Fprintf(stdout, "valid until: %s\n", time.Now().Add(*ttl).Format(time.RFC3339))
	if *png != "" {
		img, err := provisioning.RenderQRPNG(payload, 512)
		if err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		if err := os.WriteFile(*png, img, 0o600); err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		fmt.Fprintf(stdout, "QR code: %s\n", *png)
	}
	return nil
}

// findWardBed looks a ward and, when bedName is not empty, one of its beds up by name.
func findWardBed(ctx context.Context, st store.Store, wardName, bedName string) (store.Ward, store.Bed, error) {
	wards, err := st.Wards(ctx)
	if err != nil {
		return store.Ward{}, store.Bed{}, err
	}
	for _, w := range wards {
		if !strings.EqualFold(w.Name, wardName) {
			continue
		}
		if bedName == "" {
			return w, store.Bed{}, nil
		}
		beds, err := st.Beds(ctx, w.ID)
		if err != nil {
			return w, store.Bed{}, err
		}
		for _, b := range beds {
			if strings.EqualFold(b.Name, bedName) {
				return w, b, nil
			}
		}
		return w, store.Bed{}, fmt.Errorf("ward %q has no bed %q", w.Name, bedName)
	}
	return store.Ward{}, store.Bed{}, fmt.Errorf("no ward named %q", wardName)
}

// demoLines prints what -demo promises: the family link, the pairing code and the QR payload of
// the demo bed, and a working nurse login (the demo admin gets a fresh password at every start).
func demoLines(ctx context.Context, st store.Store, baseURL string, pin []byte, stdout io.Writer) error {
	info, err := server.SeedDemo(ctx, st, server.DemoOptions{BaseURL: baseURL})
	if err != nil {
		return err
	}
	payload, err := provisioning.EncodePayload(provisioning.Payload{Server: baseURL, Token: info.EnrollmentToken, Pin: pin, Ward: server.DemoWard, Bed: server.DemoBed})
	if err != nil {
		return err
	}
	var pw string
	if _, err := st.StaffByName(ctx, demoAdmin); errors.Is(err, store.ErrNotFound) {
		pw, err = console.AddUser(ctx, st, demoAdmin, store.RoleAdmin, nil, rand.Reader)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else if pw, err = console.SetPassword(ctx, st, demoAdmin, rand.Reader); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "family link: %s\n", info.FamilyURL)
	fmt.Fprintf(stdout, "family contact: %s\n", info.ContactID)
	fmt.Fprintf(stdout, "device pairing code: %s\n", info.PairingCode)
	fmt.Fprintf(stdout, "enrollment token: %s\n", info.EnrollmentToken)
	fmt.Fprintf(stdout, "enrollment payload: %s\n", payload)
	fmt.Fprintf(stdout, "nurse console: %s/console/\n", baseURL)
	fmt.Fprintf(stdout, "nurse login: %s %s\n", demoAdmin, pw)
	if info.NursePIN != "" {
		fmt.Fprintf(stdout, "tablet PIN: %s\n", info.NursePIN)
	}
	return nil
}

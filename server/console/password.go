package console

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/argon2"

	"bedside/server/store"
)

// argon2id parameters (OWASP's first recommendation): 19 MiB, 2 passes, 1 lane.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// passwordAlphabet has no look-alikes (0/O, 1/I/l), so a printed password reads back right.
const passwordAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// MinPasswordLen is the shortest password a staff member may choose.
const MinPasswordLen = 10

// hashPassword returns the PHC-style encoding of an argon2id hash of pw with a fresh salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func hashPassword(pw string, r io.Reader) ([]byte, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return nil, fmt.Errorf("console: random: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Appendf(nil, "$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash reports a stored hash this package cannot read.
var errBadHash = errors.New("console: unreadable password hash")

// checkPassword reports whether pw matches the encoded hash, in constant time for a given hash.
func checkPassword(encoded []byte, pw string) (bool, error) {
	parts := strings.Split(string(encoded), "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil ||
		m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NewPassword draws a password of 16 characters (about 79 bits) from r, shown in four groups:
// "abcd-efgh-jkmn-pqrs". Dashes are part of the password.
func NewPassword(r io.Reader) (string, error) {
	const n = 16
	alpha := passwordAlphabet
	limit := 256 - 256%len(alpha)
	out := make([]byte, 0, n+3)
	buf := make([]byte, 32)
	count := 0
	for count < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("console: random: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit || count == n {
				continue
			}
			if count > 0 && count%4 == 0 {
				out = append(out, '-')
			}
			out = append(out, alpha[int(b)%len(alpha)])
			count++
		}
	}
	return string(out), nil
}

// validName checks a login name: 1 to 64 characters, letters, digits and . _ - only.
func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: a name has 1 to 64 characters", ErrBadInput)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			return fmt.Errorf("%w: a name has only letters, digits, '.', '_' and '-'", ErrBadInput)
		}
	}
	return nil
}

// AddUser creates a console account and returns its one-time password, which is shown once
// and stored only as an argon2id hash. wards are ward ids or names; a nurse needs at least
// one, an admin sees every ward whatever it is given. r is the randomness (crypto/rand).
func AddUser(ctx context.Context, st store.Store, name string, role store.Role, wards []string, r io.Reader) (string, error) {
	s, pw, err := createStaff(ctx, st, name, role, wards, r)
	if err != nil {
		return "", err
	}
	if err := st.Audit(ctx, store.AuditEntry{Action: "add-staff", Target: s.ID}); err != nil {
		return "", fmt.Errorf("console: add user: %w", err)
	}
	return pw, nil
}

// createStaff checks and stores a new account with a fresh one-time password.
func createStaff(ctx context.Context, st store.Store, name string, role store.Role, wards []string, r io.Reader) (store.Staff, string, error) {
	if err := validName(name); err != nil {
		return store.Staff{}, "", err
	}
	if role != store.RoleAdmin && role != store.RoleNurse {
		return store.Staff{}, "", fmt.Errorf("%w: role must be admin or nurse", ErrBadInput)
	}
	if role == store.RoleNurse && len(wards) == 0 {
		return store.Staff{}, "", fmt.Errorf("%w: a nurse needs at least one ward", ErrBadInput)
	}
	ids, err := resolveWards(ctx, st, wards)
	if err != nil {
		return store.Staff{}, "", err
	}
	pw, err := NewPassword(r)
	if err != nil {
		return store.Staff{}, "", err
	}
	hash, err := hashPassword(pw, r)
	if err != nil {
		return store.Staff{}, "", err
	}
	s, err := st.CreateStaff(ctx, store.Staff{Name: name, Role: role, WardIDs: ids, PasswordHash: hash})
	if errors.Is(err, store.ErrConflict) {
		return store.Staff{}, "", fmt.Errorf("%w: the name %q is taken", ErrNameTaken, name)
	} else if err != nil {
		return store.Staff{}, "", fmt.Errorf("console: add user: %w", err)
	}
	return s, pw, nil
}

// ErrNameTaken reports an account name already in use (it matches ErrBadInput too).
var ErrNameTaken = fmt.Errorf("%w: name taken", ErrBadInput)

// resolveWards turns ward ids or names into ids.
func resolveWards(ctx context.Context, st store.Store, wards []string) ([]string, error) {
	if len(wards) == 0 {
		return nil, nil
	}
	all, err := st.Wards(ctx)
	if err != nil {
		return nil, fmt.Errorf("console: wards: %w", err)
	}
	var ids []string
	for _, want := range wards {
		found := ""
		for _, w := range all {
			if w.ID == want || strings.EqualFold(w.Name, want) {
				found = w.ID
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("%w: no ward %q", ErrBadInput, want)
		}
		ids = append(ids, found)
	}
	return ids, nil
}

// SetPassword gives an existing account a fresh one-time password, unlocks it, logs it out
// everywhere and returns the password (for a forgotten password, or a demo that prints its
// login at every start). r is the randomness (crypto/rand).
func SetPassword(ctx context.Context, st store.Store, name string, r io.Reader) (string, error) {
	s, err := st.StaffByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: no account %q", ErrBadInput, name)
	} else if err != nil {
		return "", fmt.Errorf("console: set password: %w", err)
	}
	pw, err := resetPassword(ctx, st, s, r)
	if err != nil {
		return "", err
	}
	if err := st.Audit(ctx, store.AuditEntry{Action: "reset-password", Target: s.ID}); err != nil {
		return "", fmt.Errorf("console: set password: %w", err)
	}
	return pw, nil
}

// resetPassword stores a fresh one-time password for s, unlocks it and ends its sessions.
func resetPassword(ctx context.Context, st store.Store, s store.Staff, r io.Reader) (string, error) {
	pw, err := NewPassword(r)
	if err != nil {
		return "", err
	}
	if s.PasswordHash, err = hashPassword(pw, r); err != nil {
		return "", err
	}
	s.FailedLogins, s.LockedUntil = 0, time.Time{}
	if err := st.UpdateStaff(ctx, s); err != nil {
		return "", fmt.Errorf("console: set password: %w", err)
	}
	if err := st.DeleteStaffSessions(ctx, s.ID); err != nil {
		return "", fmt.Errorf("console: set password: %w", err)
	}
	return pw, nil
}

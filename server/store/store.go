// Package store keeps the ward server's data: wards, beds, devices, enrollment tokens,
// patients, family contacts and their links, guest links, photos, the call log (with each
// call's participants), staff accounts, console sessions and the audit log. Store is the
// interface the server uses; Open returns its SQL implementation, DB, on a SQLite file (the
// default: one static binary, nothing to run beside it) or on a PostgreSQL database (a
// postgres:// URL: several servers on one database). Both engines run the same queries and
// the same test suite; each has its own migrations (migrations/ and migrations/postgres/, the
// same versions).
//
// Secrets never reach the store in the clear: enrollment tokens, family link tokens and
// session tokens are stored as SHA-256 hashes, and passwords and wards' nurse PINs as
// password hashes, which the caller computes.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Callers test them with errors.Is; the store wraps them with context.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExpired  = errors.New("store: expired")
	ErrUsed     = errors.New("store: already used")
	ErrRevoked  = errors.New("store: revoked")
	ErrConflict = errors.New("store: conflict") // e.g. the bed already has a patient, a name is taken
)

// Ward is a hospital ward.
type Ward struct {
	ID      string
	Name    string
	Created time.Time
	// NursePINHash is the bcrypt hash of the PIN that unlocks the staff screens of the
	// ward's tablets; nil while none is set. CreateWard ignores it; SetNursePIN sets it.
	NursePINHash []byte
}

// Bed is a bed in a ward; a tablet is paired to a bed.
type Bed struct {
	ID     string
	WardID string
	Name   string
}

// Device is an enrolled bedside tablet, known by the ed25519 public key it generated.
type Device struct {
	ID         string
	WardID     string
	BedID      string // may be empty: paired to the ward only
	PublicKey  []byte // ed25519, 32 bytes
	Name       string
	AppVersion string
	Battery    int // percent, -1 when unknown
	Created    time.Time
	LastSeen   time.Time // zero when never connected
	Revoked    bool
}

// Enrollment is a one-time, expiring token that lets a tablet pair to a ward and bed.
type Enrollment struct {
	TokenHash []byte // SHA-256 of the long token that a QR code carries
	CodeHash  []byte // SHA-256 of the short code a nurse can type instead; may be empty
	WardID    string
	BedID     string // may be empty
	Created   time.Time
	Expires   time.Time
	Used      time.Time // zero until consumed
	// Fingerprint, when set, binds the enrollment to one key: a nurse approved the pairing
	// request of the tablet whose key has this fingerprint (provisioning.KeyFingerprint).
	Fingerprint string
}

// Patient is a person admitted to a bed. Only the first name is kept.
type Patient struct {
	ID            string
	BedID         string
	FirstName     string
	Language      string // "en", "it"
	AutoAnswer    bool
	VisitingHours string // free text shown to families, e.g. "09:00-20:00"; empty means any time
	// GroupCallsOff: the nurse turned group calls off for this patient (they are on by
	// default): no one joins or is added to the patient's calls, and no guest link works.
	GroupCallsOff bool
	Admitted      time.Time
	Discharged    time.Time // zero while admitted
}

// Contact is a family member who may call a patient and be called.
type Contact struct {
	ID         string
	PatientID  string
	Name       string
	Relation   string
	Language   string
	AutoAnswer bool   // calls from this contact are answered automatically when the patient allows it
	PhotoHash  string // hex SHA-256 of the photo, empty when none
	// JoinOff: the nurse decided that this contact may not join calls others started, nor
	// ask to add someone (allowed by default). Calls with the patient themselves are not
	// affected.
	JoinOff bool
}

// Link is a family link: the token in it reaches one contact of one patient.
type Link struct {
	ID        string
	ContactID string
	TokenHash []byte // SHA-256 of the token
	Created   time.Time
	Expires   time.Time
	Revoked   time.Time // zero unless revoked
}

// GuestLink is a link for a guest of one call (an interpreter, a chaplain), made by a nurse
// for one admitted patient. It can only join a call in progress and is spent (revoked) once
// the call it joined ends.
type GuestLink struct {
	ID        string
	PatientID string
	TokenHash []byte // SHA-256 of the token
	Name      string // the guest's name, as every screen shows it
	Role      string // e.g. "Interpreter"
	Created   time.Time
	Expires   time.Time
	Revoked   time.Time // zero unless revoked (or spent)
	CallID    string    // the call it joined; empty until then
}

// Direction says who placed a call.
type Direction string

// The call directions.
const (
	FromFamily  Direction = "from-family"  // the family page called the tablet
	FromPatient Direction = "from-patient" // the tablet called a contact
)

// CallRecord is one row of the call log: metadata only.
type CallRecord struct {
	ID        string
	PatientID string
	ContactID string
	DeviceID  string
	Direction Direction
	Started   time.Time // the invite
	Answered  time.Time // zero when never answered
	Ended     time.Time
	Reason    string // a signal.Reason
	SetupMS   int    // answer to first "connected", -1 when never connected
	// Participants is who was in the call once it was answered and how each left, in the
	// order they came in; empty for a call never answered.
	Participants []CallParticipant
}

// The kinds of call participants.
const (
	KindDevice = "device" // the patient's tablet
	KindFamily = "family" // a contact, from their family link
	KindGuest  = "guest"  // a guest link's holder
)

// CallParticipant is one participant of a logged call: the tablet (ID "device"), a contact
// (ID the contact's id) or a guest (ID the guest link's id).
type CallParticipant struct {
	ID     string
	Kind   string    // KindDevice, KindFamily or KindGuest
	Joined time.Time // when they came into the call
	Left   time.Time // when they left it (the call's end for those still in it)
	Reason string    // how they left: a signal.Reason (hangup, failed)
}

// Role says what a staff member may do in the nurse console.
type Role string

// The staff roles.
const (
	RoleAdmin Role = "admin" // manages wards, beds and staff, and does everything a nurse does
	RoleNurse Role = "nurse" // pairs tablets, admits, discharges and manages families in their wards
)

// Staff is a nurse console account.
type Staff struct {
	ID           string
	Name         string // the login name, unique whatever its case
	Role         Role
	WardIDs      []string // the wards the account works in, sorted
	PasswordHash []byte   // encoded argon2id or bcrypt hash, computed by the caller
	FailedLogins int      // consecutive failed logins
	LockedUntil  time.Time
	Created      time.Time
}

// Session is a logged-in console session.
type Session struct {
	IDHash  []byte // SHA-256 of the session cookie's token
	StaffID string
	CSRF    string // the session's anti-CSRF token
	Created time.Time
	Expires time.Time
}

// AuditEntry is one staff action in the audit log. It names ids, never a person's name.
type AuditEntry struct {
	ID      string
	StaffID string // empty for the server itself
	Action  string // e.g. "admit", "discharge", "revoke-device", "login"
	Target  string // the id of what was acted upon, may be empty
	At      time.Time
}

// Store is the server's persistence. Every method is safe for concurrent use. Create methods
// fill in the ID (and Created) of what they are given and return it.
type Store interface {
	CreateWard(ctx context.Context, w Ward) (Ward, error)
	Ward(ctx context.Context, id string) (Ward, error)
	Wards(ctx context.Context) ([]Ward, error)
	// SetNursePIN stores the bcrypt hash of the ward's nurse PIN (ErrInvalid when empty,
	// ErrNotFound for an unknown ward).
	SetNursePIN(ctx context.Context, wardID string, hash []byte) error

	CreateBed(ctx context.Context, b Bed) (Bed, error)
	Bed(ctx context.Context, id string) (Bed, error)
	Beds(ctx context.Context, wardID string) ([]Bed, error)

	CreateEnrollment(ctx context.Context, e Enrollment) error
	// ConsumeEnrollment finds the enrollment whose token hash or code hash is hash, marks it
	// used and returns it, atomically (either form uses up both). An enrollment bound to a key
	// fingerprint is only consumed by that fingerprint. It fails with ErrNotFound (also for the
	// wrong fingerprint), ErrExpired (at now) or ErrUsed, and then changes nothing.
	ConsumeEnrollment(ctx context.Context, hash []byte, fingerprint string, now time.Time) (Enrollment, error)
	// Enroll pairs a tablet: it consumes the enrollment as ConsumeEnrollment does and creates
	// d (its ID, Created, WardID and BedID filled from the enrollment) as CreateDevice does,
	// atomically. When either fails (ErrNotFound, ErrExpired, ErrUsed, ErrConflict for a key
	// that an unrevoked device holds, ...) nothing changes: no device, the token still unused.
	Enroll(ctx context.Context, hash []byte, fingerprint string, now time.Time, d Device) (Enrollment, Device, error)

	CreateDevice(ctx context.Context, d Device) (Device, error)
	Device(ctx context.Context, id string) (Device, error)
	Devices(ctx context.Context, wardID string) ([]Device, error)
	DeviceForBed(ctx context.Context, bedID string) (Device, error) // the newest unrevoked device of the bed
	RevokeDevice(ctx context.Context, id string) error
	TouchDevice(ctx context.Context, id string, seen time.Time) error
	// UpdateDeviceStatus records what the device reported about itself at seen: its battery
	// (percent, -1 when unknown) and, when not empty, its app version. ErrInvalid for a
	// battery outside -1..100, ErrNotFound for an unknown device.
	UpdateDeviceStatus(ctx context.Context, id string, battery int, appVersion string, seen time.Time) error

	// Admit fails with ErrConflict when the bed already has an admitted patient.
	Admit(ctx context.Context, p Patient) (Patient, error)
	Patient(ctx context.Context, id string) (Patient, error)
	PatientInBed(ctx context.Context, bedID string) (Patient, error) // the admitted one, or ErrNotFound
	UpdatePatient(ctx context.Context, p Patient) error
	// Discharge ends the admission and revokes every link of the patient's contacts.
	Discharge(ctx context.Context, patientID string, at time.Time) error // and their guest links
	// Transfer moves an admitted patient (with contacts and links) to another bed; it fails
	// with ErrNotFound for an unknown patient or bed and ErrConflict when the patient is
	// discharged or the bed is taken.
	Transfer(ctx context.Context, patientID, bedID string) error

	CreateContact(ctx context.Context, c Contact) (Contact, error)
	Contact(ctx context.Context, id string) (Contact, error)
	Contacts(ctx context.Context, patientID string) ([]Contact, error)
	UpdateContact(ctx context.Context, c Contact) error
	DeleteContact(ctx context.Context, id string) error

	CreateLink(ctx context.Context, l Link) (Link, error)
	// LinkByToken returns the link with this token hash whatever its state; the caller checks
	// expiry and revocation.
	LinkByToken(ctx context.Context, tokenHash []byte) (Link, error)
	Links(ctx context.Context, contactID string) ([]Link, error)
	RevokeLink(ctx context.Context, id string, at time.Time) error

	// CreateGuestLink stores a guest link of an admitted patient (ErrNotFound for an unknown
	// one, ErrConflict for a discharged one or a taken token hash); Name, TokenHash and Expires
	// are required (ErrInvalid), Created defaults to now.
	CreateGuestLink(ctx context.Context, g GuestLink) (GuestLink, error)
	GuestLink(ctx context.Context, id string) (GuestLink, error)
	// GuestLinkByToken returns the guest link with this token hash whatever its state.
	GuestLinkByToken(ctx context.Context, tokenHash []byte) (GuestLink, error)
	GuestLinks(ctx context.Context, patientID string) ([]GuestLink, error) // newest first
	// RevokeGuestLink revokes it at at (now when zero); revoking again keeps the first time.
	RevokeGuestLink(ctx context.Context, id string, at time.Time) error
	// GuestJoins records that the guest link joins call callID (the signaling call id): ErrUsed
	// when it joined another call already (joining the same call again is fine), ErrNotFound
	// for an unknown one. The server revokes the link when that call ends.
	GuestJoins(ctx context.Context, id, callID string) error

	PutPhoto(ctx context.Context, hash string, contentType string, data []byte) error
	Photo(ctx context.Context, hash string) (contentType string, data []byte, err error)
	// PhotoPatients returns the patients one of whose contacts shows the photo: who may see it.
	PhotoPatients(ctx context.Context, hash string) ([]Patient, error)

	// Purge deletes the personal data of admissions discharged before dischargedBefore
	// (contacts, links, guest links, photos, names, who took part in calls) and keeps what
	// statistics need; photos no contact
	// shows, stored before orphansBefore, go too. Idempotent.
	Purge(ctx context.Context, dischargedBefore, orphansBefore time.Time) (PurgeStats, error)

	LogCall(ctx context.Context, c CallRecord) (CallRecord, error)
	Calls(ctx context.Context, patientID string, limit int) ([]CallRecord, error) // newest first

	// CreateStaff fails with ErrConflict when the name is taken (whatever its case).
	CreateStaff(ctx context.Context, s Staff) (Staff, error)
	Staff(ctx context.Context, id string) (Staff, error)
	StaffByName(ctx context.Context, name string) (Staff, error) // case-insensitive
	AllStaff(ctx context.Context) ([]Staff, error)               // by name
	// UpdateStaff changes everything but the ID and Created, wards included.
	UpdateStaff(ctx context.Context, s Staff) error

	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with this id hash whatever its expiry; the caller checks.
	Session(ctx context.Context, idHash []byte) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteStaffSessions(ctx context.Context, staffID string) error // logs the account out everywhere

	Audit(ctx context.Context, e AuditEntry) error                 // At defaults to now
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) // newest first

	Close() error
}

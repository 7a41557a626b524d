package console

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bedside/server/store"
)

// Guest links (issue #13): a nurse makes one for an interpreter or a chaplain, for one
// admitted patient and a few hours; it can only join a call of the patient in progress and is
// spent when that call ends. They are listed, made and revoked on the bed page.

// Guest link lifetimes a nurse can pick, in hours (server.GuestHoursDefault and Max).
const (
	guestHoursDefault = 3
	guestHoursMax     = 12
)

// guestRow is a guest link as the bed page lists it.
type guestRow struct {
	ID, Name, Role            string
	Created, Expires, Revoked time.Time
	State                     string // active, expired, revoked, spent
	Joined                    bool   // it joined a call (still going, while active)
}

func guestState(g store.GuestLink, now time.Time) string {
	switch {
	case !g.Revoked.IsZero() && g.CallID != "":
		return "spent"
	case !g.Revoked.IsZero():
		return "revoked"
	case !now.Before(g.Expires):
		return "expired"
	}
	return "active"
}

// guestFreshKey is what fresh guest links are kept under, beside contacts' family links.
func guestFreshKey(patientID string) string { return "guest:" + patientID }

// fillGuests adds the patient's guest links (and one just made, shown once) to the bed page.
func (c *Console) fillGuests(r *http.Request, u *user, d *bedData) error {
	d.GuestHours = make([]int, guestHoursMax)
	for i := range d.GuestHours {
		d.GuestHours[i] = i + 1
	}
	d.DefaultGuestHours = guestHoursDefault
	if made := r.URL.Query().Get("guest"); made != "" {
		d.NewGuest = c.fresh.get(made, u.ID, guestFreshKey(d.Patient.ID))
	}
	now := c.cfg.Now()
	for _, g := range d.guestLinks {
		d.Guests = append(d.Guests, guestRow{ID: g.ID, Name: g.Name, Role: g.Role, Created: g.Created,
			Expires: g.Expires, Revoked: g.Revoked, State: guestState(g, now), Joined: g.CallID != ""})
	}
	return nil
}

// serveNewGuest makes a guest link and redirects to the bed page that shows it once.
func (c *Console) serveNewGuest(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	f := r.PostForm
	name, err := requiredText(f.Get("guestname"), 64, "guestname")
	var role string
	if err == nil {
		role, err = optionalText(f.Get("guestrole"), 64)
	}
	hours := guestHoursDefault
	if err == nil && f.Get("hours") != "" {
		hours, err = strconv.Atoi(f.Get("hours"))
		if err != nil || hours < 1 || hours > guestHoursMax {
			err = bad("hours")
		}
	}
	if err == nil && pl.Patient.GroupCallsOff {
		err = clash("groupcallsoff")
	}
	var token string
	if err == nil {
		token, err = c.random(linkTokenBytes)
	}
	var g store.GuestLink
	if err == nil {
		now := c.cfg.Now()
		sum := sha256.Sum256([]byte(token))
		g, err = c.cfg.Store.CreateGuestLink(ctx, store.GuestLink{PatientID: pl.Patient.ID, TokenHash: sum[:],
			Name: name, Role: role, Created: now, Expires: now.Add(time.Duration(hours) * time.Hour)})
		if errors.Is(err, store.ErrConflict) {
			err = clash("discharged")
		}
	}
	if err != nil {
		form := r.PostForm
		form.Set("guest", "1")
		c.renderBed(w, r, u, pl.Bed.ID, form, false, err)
		return
	}
	c.audit(ctx, u, "create-guest-link", g.ID)
	link := c.baseURL(r) + "/j/" + token
	qr, err := qrDataURL(link, 480)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	who := name
	if role != "" {
		who += " (" + role + ")"
	}
	msg := translate(pl.Patient.Language, "msg.guest", who, pl.Ward.Name, pl.Patient.FirstName, link,
		g.Expires.Local().Format("02/01/2006 15:04"))
	id, err := c.random(linkTokenBytes)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	c.fresh.put(id, u.ID, guestFreshKey(pl.Patient.ID), newLink{URL: link, Message: msg, QR: qr, Expires: g.Expires})
	http.Redirect(w, r, "/console/beds/"+pl.Bed.ID+"?guest="+id+"#guests", http.StatusSeeOther)
}

// serveRevokeGuest stops a guest link; a guest in a call leaves it.
func (c *Console) serveRevokeGuest(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.patientFor(ctx, u, r.PathValue("patient"))
	var g store.GuestLink
	if err == nil {
		g, err = c.cfg.Store.GuestLink(ctx, r.PathValue("guest"))
		if err == nil && g.PatientID != pl.Patient.ID {
			err = ErrNotFound
		}
	}
	if err == nil {
		err = c.cfg.Store.RevokeGuestLink(ctx, g.ID, c.cfg.Now())
	}
	if err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.hub.RevokeGuest(ctx, g.ID)
	c.audit(ctx, u, "revoke-guest-link", g.ID)
	redirect(w, r, "/console/beds/"+pl.Bed.ID, "guestrevoked")
}

// onOff names the audit action of a setting switched on or off: "group-calls-on".
func onOff(setting string, on bool) string {
	if on {
		return setting + "-on"
	}
	return setting + "-off"
}

// participantRow is one participant of a logged call, as the call log shows it.
type participantRow struct {
	Name   string // the contact's or guest's name, or the patient's for the tablet
	Label  string // "tablet", "guest", or the guest's role
	Kind   string // store.KindDevice, KindFamily, KindGuest
	Reason string // how they left (a signal.Reason)
}

// participantRows names the participants of call k: the tablet by the patient's name,
// contacts from names, guests from guests.
func participantRows(k store.CallRecord, patient string, names map[string]string, guests map[string]store.GuestLink) []participantRow {
	var out []participantRow
	for _, p := range k.Participants {
		row := participantRow{Kind: p.Kind, Reason: p.Reason}
		switch p.Kind {
		case store.KindDevice:
			row.Name = patient
		case store.KindGuest:
			g := guests[p.ID]
			row.Name, row.Label = g.Name, strings.TrimSpace(g.Role)
		default:
			row.Name = names[p.ID]
		}
		out = append(out, row)
	}
	return out
}

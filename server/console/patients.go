package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"bedside/server/store"
)

type contactRow struct {
	store.Contact
	ActiveLinks int
}

type bedChoice struct{ ID, Label string }

type callRow struct {
	Started            time.Time
	Contact, Direction string
	Answered           bool
	Duration, Reason   string
	Participants       []participantRow // of an answered call (guests.go)
}

type bedData struct {
	Ward        store.Ward
	Bed         store.Bed
	Tablet      *tabletRow
	Patient     *store.Patient
	PatientForm url.Values
	Contacts    []contactRow
	FreeBeds    []bedChoice
	Calls       []callRow
	// Wipe is what became of the tablet's wipe after a discharge done while it was offline
	// (the page after that discharge says so; nil otherwise).
	Wipe *wipeState

	// Guest links of the patient (guests.go), one just made, and the hours a new one may last.
	Guests            []guestRow
	NewGuest          *newLink
	GuestHours        []int
	DefaultGuestHours int
	guestLinks        []store.GuestLink
}

// wipeState says whether the bed's tablet has connected, and so been wiped, since a discharge.
type wipeState struct {
	Done bool
	At   time.Time // when it connected, when Done
}

func (c *Console) serveBed(w http.ResponseWriter, r *http.Request, u *user) {
	c.renderBed(w, r, u, r.PathValue("bed"), nil, false, nil)
}

// renderBed shows a bed: its tablet, its patient, family, calls. After a failed form, form
// refills the admit and add-contact forms, or the patient form when patientForm is set.
func (c *Console) renderBed(w http.ResponseWriter, r *http.Request, u *user, bedID string, form url.Values, patientForm bool, failure error) {
	ctx := r.Context()
	wd, b, err := c.bedFor(ctx, u, bedID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	d := bedData{Ward: wd, Bed: b}
	if dev, err := c.cfg.Store.DeviceForBed(ctx, b.ID); err == nil {
		t := c.tabletRow(ctx, dev, b.Name, c.cfg.Now())
		d.Tablet = &t
		if ms, err := strconv.ParseInt(r.URL.Query().Get("wipe"), 10, 64); err == nil {
			// A tablet wipes itself when it gets its configuration without the patient,
			// which it does as it connects: having connected since is having wiped.
			since := time.UnixMilli(ms)
			d.Wipe = &wipeState{Done: dev.LastSeen.After(since), At: dev.LastSeen}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, u, nil, err)
		return
	}
	p, err := c.cfg.Store.PatientInBed(ctx, b.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		c.fail(w, r, u, nil, err)
		return
	default:
		d.Patient = &p
		if err := c.fillPatient(ctx, u, &d); err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
	}
	v := c.newView(r, u, "bed")
	v.Title = translate(v.Lang, "bed.label", b.Name) + " · " + wd.Name
	v.Data = &d
	v.Form = url.Values{"group": {"1"}, "join": {"1"}} // the admit and add-contact forms' defaults
	if d.Patient != nil {
		if err := c.fillGuests(r, u, &d); err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
	}
	if failure == nil {
		c.render(w, http.StatusOK, v)
		return
	}
	if patientForm {
		d.PatientForm = form
	} else {
		v.Form = form
	}
	c.fail(w, r, u, v, failure)
}

func patientValues(p store.Patient) url.Values {
	f := url.Values{"first": {p.FirstName}, "language": {p.Language}, "visiting": {p.VisitingHours}}
	if p.AutoAnswer {
		f.Set("auto", "1")
	}
	if !p.GroupCallsOff {
		f.Set("group", "1")
	}
	return f
}

// fillPatient adds the admitted patient's contacts, calls and the beds they could move to.
func (c *Console) fillPatient(ctx context.Context, u *user, d *bedData) error {
	st := c.cfg.Store
	p := d.Patient
	d.PatientForm = patientValues(*p)
	contacts, err := st.Contacts(ctx, p.ID)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(contacts))
	now := c.cfg.Now()
	for _, k := range contacts {
		names[k.ID] = k.Name
		row := contactRow{Contact: k}
		links, err := st.Links(ctx, k.ID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if linkState(l, now) == "active" {
				row.ActiveLinks++
			}
		}
		d.Contacts = append(d.Contacts, row)
	}
	calls, err := st.Calls(ctx, p.ID, 30)
	if err != nil {
		return err
	}
	if d.guestLinks, err = st.GuestLinks(ctx, p.ID); err != nil {
		return err
	}
	guests := make(map[string]store.GuestLink, len(d.guestLinks))
	for _, g := range d.guestLinks {
		guests[g.ID] = g
	}
	for _, k := range calls {
		row := callRow{Started: k.Started, Contact: names[k.ContactID], Direction: string(k.Direction),
			Answered: !k.Answered.IsZero(), Reason: k.Reason}
		if row.Answered && k.Ended.After(k.Answered) {
			s := int(k.Ended.Sub(k.Answered).Round(time.Second).Seconds())
			row.Duration = fmt.Sprintf("%d:%02d", s/60, s%60)
		}
		row.Participants = participantRows(k, p.FirstName, names, guests)
		d.Calls = append(d.Calls, row)
	}
	wards, err := c.visibleWards(ctx, u)
	if err != nil {
		return err
	}
	for _, wd := range wards {
		beds, err := st.Beds(ctx, wd.ID)
		if err != nil {
			return err
		}
		for _, b := range beds {
			if b.ID == d.Bed.ID {
				continue
			}
			if _, err := st.PatientInBed(ctx, b.ID); errors.Is(err, store.ErrNotFound) {
				d.FreeBeds = append(d.FreeBeds, bedChoice{ID: b.ID, Label: wd.Name + " · " + b.Name})
			}
		}
	}
	return nil
}

// patientFields reads the admit and patient forms.
func patientFields(f url.Values) (store.Patient, error) {
	var p store.Patient
	var err error
	if p.FirstName, err = requiredText(f.Get("first"), 64, "firstname"); err != nil {
		return p, err
	}
	if p.Language, err = language(f.Get("language")); err != nil {
		return p, err
	}
	if p.VisitingHours, err = optionalText(f.Get("visiting"), 100); err != nil {
		return p, err
	}
	p.AutoAnswer = f.Get("auto") != ""
	// The group-calls box is only read from a form that shows it (groupform): a form without
	// it (an older page, a script) keeps them allowed, as is the default.
	p.GroupCallsOff = f.Has("groupform") && f.Get("group") == ""
	return p, nil
}

func (c *Console) serveAdmit(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	_, b, err := c.bedFor(ctx, u, r.PathValue("bed"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	p, err := patientFields(r.PostForm)
	if err == nil {
		p.BedID, p.Admitted = b.ID, c.cfg.Now()
		p, err = c.cfg.Store.Admit(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			err = clash("bedtaken")
		}
	}
	if err != nil {
		c.renderBed(w, r, u, b.ID, r.PostForm, false, err)
		return
	}
	c.hub.ConfigChanged(ctx, b.ID)
	c.audit(ctx, u, "admit", p.ID)
	redirect(w, r, "/console/beds/"+b.ID, "admitted")
}

// admittedPatient finds a patient the user may change: still admitted.
func (c *Console) admittedPatient(ctx context.Context, u *user, id string) (place, error) {
	pl, err := c.patientFor(ctx, u, id)
	if err != nil {
		return pl, err
	}
	if !pl.Patient.Discharged.IsZero() {
		return pl, clash("discharged")
	}
	return pl, nil
}

func (c *Console) serveUpdatePatient(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	p, err := patientFields(r.PostForm)
	if err == nil {
		p.ID = pl.Patient.ID
		if !r.PostForm.Has("groupform") {
			p.GroupCallsOff = pl.Patient.GroupCallsOff
		}
		err = c.cfg.Store.UpdatePatient(ctx, p)
	}
	if err != nil {
		c.renderBed(w, r, u, pl.Bed.ID, r.PostForm, true, err)
		return
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.audit(ctx, u, "update-patient", p.ID)
	if p.GroupCallsOff != pl.Patient.GroupCallsOff {
		c.audit(ctx, u, onOff("group-calls", !p.GroupCallsOff), p.ID)
	}
	redirect(w, r, "/console/beds/"+pl.Bed.ID, "saved")
}

func (c *Console) serveTransfer(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if r.PostForm.Get("from") != pl.Bed.ID {
		c.fail(w, r, u, nil, clash("moved"))
		return
	}
	_, to, err := c.bedFor(ctx, u, r.PostForm.Get("bed"))
	if err == nil && to.ID == pl.Bed.ID {
		err = clash("samebed")
	}
	var oldDevice store.Device
	if err == nil {
		oldDevice, err = c.cfg.Store.DeviceForBed(ctx, pl.Bed.ID)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	if err == nil {
		err = c.cfg.Store.Transfer(ctx, pl.Patient.ID, to.ID)
		if errors.Is(err, store.ErrConflict) {
			err = clash("bedtaken")
		}
	}
	if err != nil {
		c.renderBed(w, r, u, pl.Bed.ID, nil, false, err)
		return
	}
	if oldDevice.ID != "" {
		c.hub.Discharged(ctx, oldDevice.ID)
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.hub.ConfigChanged(ctx, to.ID)
	c.audit(ctx, u, "transfer", pl.Patient.ID)
	redirect(w, r, "/console/beds/"+to.ID, "transferred")
}

type dischargeData struct {
	Ward      store.Ward
	Bed       store.Bed
	Patient   store.Patient
	Contacts  int
	HasTablet bool
}

// serveDischargePage asks for confirmation, naming the patient, ward and bed.
func (c *Console) serveDischargePage(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	contacts, err := c.cfg.Store.Contacts(ctx, pl.Patient.ID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	_, err = c.cfg.Store.DeviceForBed(ctx, pl.Bed.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, u, nil, err)
		return
	}
	v := c.newView(r, u, "discharge")
	v.Data = dischargeData{Ward: pl.Ward, Bed: pl.Bed, Patient: pl.Patient, Contacts: len(contacts), HasTablet: err == nil}
	c.render(w, http.StatusOK, v)
}

// serveDischarge discharges the patient from the bed named in the confirmed form. When the
// patient is no longer in that bed nothing happens, so a discharge can never wipe a tablet
// other than the one the nurse confirmed.
func (c *Console) serveDischarge(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if r.PostForm.Get("bed") != pl.Bed.ID {
		c.fail(w, r, u, nil, clash("moved"))
		return
	}
	dev, err := c.cfg.Store.DeviceForBed(ctx, pl.Bed.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, u, nil, err)
		return
	}
	if err := c.cfg.Store.Discharge(ctx, pl.Patient.ID, c.cfg.Now()); err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	online := dev.ID != "" && c.hub.DeviceOnline(dev.ID)
	if dev.ID != "" {
		c.hub.Discharged(ctx, dev.ID)
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.audit(ctx, u, "discharge", pl.Patient.ID)
	c.log.Info("patient discharged", "patient", pl.Patient.ID, "bed", pl.Bed.ID, "device", dev.ID, "staff", u.ID)
	// Say what is true of the tablet: wiped now, wiped when it next connects, or none.
	switch {
	case dev.ID == "":
		redirect(w, r, "/console/beds/"+pl.Bed.ID, "dischargednotablet")
	case online:
		redirect(w, r, "/console/beds/"+pl.Bed.ID, "discharged")
	default:
		http.Redirect(w, r, "/console/beds/"+pl.Bed.ID+"?ok=dischargedoffline&wipe="+
			strconv.FormatInt(c.cfg.Now().UnixMilli(), 10), http.StatusSeeOther)
	}
}

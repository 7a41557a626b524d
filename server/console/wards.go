package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bedside/provisioning"
	"bedside/server/store"
)

type wardSummary struct {
	ID, Name                                 string
	Beds, Patients, Tablets, Online, Flagged int
}

type homeData struct{ Wards []wardSummary }

func (c *Console) serveHome(w http.ResponseWriter, r *http.Request, u *user) {
	c.renderHome(w, r, u, nil, nil)
}

func (c *Console) renderHome(w http.ResponseWriter, r *http.Request, u *user, form map[string][]string, failure error) {
	ctx := r.Context()
	v := c.newView(r, u, "home")
	wards, err := c.visibleWards(ctx, u)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	var data homeData
	for _, wd := range wards {
		s := wardSummary{ID: wd.ID, Name: wd.Name}
		beds, err := c.cfg.Store.Beds(ctx, wd.ID)
		if err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
		s.Beds = len(beds)
		rows, err := c.bedRows(ctx, beds)
		if err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
		for _, b := range rows {
			if b.Patient != "" {
				s.Patients++
			}
		}
		tablets, err := c.tablets(ctx, wd.ID, beds)
		if err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
		for _, t := range tablets {
			if t.Revoked {
				continue
			}
			s.Tablets++
			if t.Online {
				s.Online++
			}
			if t.Flag {
				s.Flagged++
			}
		}
		data.Wards = append(data.Wards, s)
	}
	v.Data = data
	c.renderOrFail(w, r, u, v, form, failure)
}

func (c *Console) serveCreateWard(w http.ResponseWriter, r *http.Request, u *user) {
	if !u.IsAdmin() {
		c.fail(w, r, u, nil, ErrForbidden)
		return
	}
	name, err := requiredText(r.PostForm.Get("name"), 100, "name")
	if err == nil {
		var wd store.Ward
		wd, err = c.cfg.Store.CreateWard(r.Context(), store.Ward{Name: name})
		if errors.Is(err, store.ErrConflict) {
			err = clash("nameexists")
		}
		if err == nil {
			c.audit(r.Context(), u, "create-ward", wd.ID)
			redirect(w, r, "/console/wards/"+wd.ID, "ward")
			return
		}
	}
	c.renderHome(w, r, u, r.PostForm, err)
}

// tabletRow is a tablet as the console shows it.
type tabletRow struct {
	ID, Name, BedID, BedName, Version string
	Online, Flag, Revoked             bool
	Battery                           int
	LastSeen, LastCall                time.Time
}

// tablets lists a ward's tablets: live ones first, then revoked ones.
func (c *Console) tablets(ctx context.Context, wardID string, beds []store.Bed) ([]tabletRow, error) {
	devs, err := c.cfg.Store.Devices(ctx, wardID)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(beds))
	for _, b := range beds {
		names[b.ID] = b.Name
	}
	now := c.cfg.Now()
	var live, revoked []tabletRow
	for _, d := range devs {
		t := c.tabletRow(ctx, d, names[d.BedID], now)
		if t.Revoked {
			revoked = append(revoked, t)
		} else {
			live = append(live, t)
		}
	}
	return append(live, revoked...), nil
}

func (c *Console) tabletRow(ctx context.Context, d store.Device, bedName string, now time.Time) tabletRow {
	t := tabletRow{ID: d.ID, Name: d.Name, BedID: d.BedID, BedName: bedName, Version: d.AppVersion,
		Battery: d.Battery, LastSeen: d.LastSeen, Revoked: d.Revoked}
	if !d.Revoked {
		t.Online = c.hub.DeviceOnline(d.ID)
		since := d.LastSeen
		if since.IsZero() {
			since = d.Created
		}
		t.Flag = !t.Online && now.Sub(since) > c.cfg.OfflineAlarm
	}
	if d.BedID != "" {
		if p, err := c.cfg.Store.PatientInBed(ctx, d.BedID); err == nil {
			if calls, err := c.cfg.Store.Calls(ctx, p.ID, 1); err == nil && len(calls) > 0 {
				t.LastCall = calls[0].Started
			}
		}
	}
	return t
}

// bedRow is a bed in the ward's list.
type bedRow struct {
	ID, Name, Patient string
	Tablet            *tabletRow
}

func (c *Console) bedRows(ctx context.Context, beds []store.Bed) ([]bedRow, error) {
	now := c.cfg.Now()
	rows := make([]bedRow, 0, len(beds))
	for _, b := range beds {
		row := bedRow{ID: b.ID, Name: b.Name}
		p, err := c.cfg.Store.PatientInBed(ctx, b.ID)
		if err == nil {
			row.Patient = p.FirstName
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		d, err := c.cfg.Store.DeviceForBed(ctx, b.ID)
		if err == nil {
			t := c.tabletRow(ctx, d, b.Name, now)
			row.Tablet = &t
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type wardData struct {
	Ward    store.Ward
	Beds    []bedRow
	Tablets []tabletRow
	PINSet  bool // the ward has a nurse PIN its tablets accept (an older server's bcrypt is not)
}

func (c *Console) serveWard(w http.ResponseWriter, r *http.Request, u *user) {
	c.renderWard(w, r, u, r.PathValue("ward"), nil, nil)
}

func (c *Console) renderWard(w http.ResponseWriter, r *http.Request, u *user, wardID string, form map[string][]string, failure error) {
	ctx := r.Context()
	wd, err := c.wardFor(ctx, u, wardID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	beds, err := c.cfg.Store.Beds(ctx, wd.ID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	data := wardData{Ward: wd, PINSet: provisioning.IsNursePINHash(string(wd.NursePINHash))}
	if data.Beds, err = c.bedRows(ctx, beds); err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if data.Tablets, err = c.tablets(ctx, wd.ID, beds); err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	v := c.newView(r, u, "ward")
	v.Title = wd.Name
	v.Data = data
	c.renderOrFail(w, r, u, v, form, failure)
}

func (c *Console) serveCreateBed(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	wd, err := c.wardFor(ctx, u, r.PathValue("ward"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if !u.IsAdmin() {
		c.fail(w, r, u, nil, ErrForbidden)
		return
	}
	name, err := requiredText(r.PostForm.Get("name"), 100, "name")
	if err == nil {
		var b store.Bed
		b, err = c.cfg.Store.CreateBed(ctx, store.Bed{WardID: wd.ID, Name: name})
		if errors.Is(err, store.ErrConflict) {
			err = clash("nameexists")
		}
		if err == nil {
			c.audit(ctx, u, "create-bed", b.ID)
			redirect(w, r, "/console/wards/"+wd.ID, "bed")
			return
		}
	}
	c.renderWard(w, r, u, wd.ID, r.PostForm, err)
}

func (c *Console) serveRevokeDevice(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	wd, d, err := c.deviceFor(ctx, u, r.PathValue("device"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if err := c.cfg.Store.RevokeDevice(ctx, d.ID); err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.hub.RevokeDevice(ctx, d.ID)
	c.audit(ctx, u, "revoke-device", d.ID)
	c.log.Info("device revoked", "device", d.ID, "staff", u.ID)
	redirect(w, r, "/console/wards/"+wd.ID, "revoked")
}

// baseURL is the server's public URL: the configured one, else the request's own.
func (c *Console) baseURL(r *http.Request) string {
	if c.cfg.BaseURL != "" {
		return strings.TrimRight(c.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// qrDataURL renders text as a QR code in a data: URL, which the CSP allows for images.
func qrDataURL(text string, size int) (template.URL, error) {
	png, err := provisioning.RenderQRPNG(text, size)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// newEnrollment stores a fresh enrollment and returns its token and short code; like
// server.NewEnrollment, it draws another code while one is held by a live enrollment.
func (c *Console) newEnrollment(ctx context.Context, wardID, bedID string, ttl time.Duration) (token, code string, err error) {
	for range 5 {
		token, code, err = provisioning.NewEnrollmentSecrets(c.cfg.Rand)
		if err != nil {
			return "", "", err
		}
		now := c.cfg.Now()
		err = c.cfg.Store.CreateEnrollment(ctx, store.Enrollment{
			TokenHash: provisioning.HashSecret(token), CodeHash: provisioning.HashSecret(code),
			WardID: wardID, BedID: bedID, Created: now, Expires: now.Add(ttl)})
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return token, code, err
}

// enrollMinutes are the lifetimes a nurse can pick for an enrollment QR code: a few minutes
// for the tablet at hand, up to a day for a printed sheet.
var enrollMinutes = []int{15, 60, 8 * 60, 24 * 60}

type enrollData struct {
	WardID, Ward, Bed, Code string
	QR                      template.URL
	Expires                 time.Time
	// Watch is where the page asks, every few seconds, whether a tablet has paired.
	Watch string
}

// serveEnroll issues an enrollment for a ward (and bed) and shows its QR code and short code.
func (c *Console) serveEnroll(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	wd, err := c.wardFor(ctx, u, r.PathValue("ward"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	var bed store.Bed
	if id := r.PostForm.Get("bed"); id != "" {
		var bw store.Ward
		if bw, bed, err = c.bedFor(ctx, u, id); err != nil || bw.ID != wd.ID {
			c.fail(w, r, u, nil, ErrNotFound)
			return
		}
	}
	ttl := c.cfg.EnrollTTL
	if m := r.PostForm.Get("minutes"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || !slices.Contains(enrollMinutes, n) {
			c.fail(w, r, u, nil, bad("minutes"))
			return
		}
		ttl = time.Duration(n) * time.Minute
	}
	token, code, err := c.newEnrollment(ctx, wd.ID, bed.ID, ttl)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	p := c.cfg.Pairing
	p.Server, p.Token, p.Ward, p.Bed = c.baseURL(r), token, wd.Name, bed.Name
	text, err := provisioning.EncodePayload(p)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	qr, err := qrDataURL(text, 640)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	target := wd.ID
	if bed.ID != "" {
		target = bed.ID
	}
	c.audit(ctx, u, "enroll", target)
	v := c.newView(r, u, "enroll")
	watch := url.Values{"since": {strconv.FormatInt(c.cfg.Now().UnixMilli(), 10)}}
	if bed.ID != "" {
		watch.Set("bed", bed.ID)
	}
	v.Data = enrollData{WardID: wd.ID, Ward: wd.Name, Bed: bed.Name, Code: provisioning.FormatCode(code), QR: qr,
		Expires: c.cfg.Now().Add(ttl), Watch: "/console/wards/" + wd.ID + "/paired?" + watch.Encode()}
	c.render(w, http.StatusOK, v)
}

// pairedAnswer is what the enroll page learns: whether a tablet paired to the ward (the bed)
// since the code was shown, and the words to say so.
type pairedAnswer struct {
	Paired bool   `json:"paired"`
	Text   string `json:"text,omitempty"`
	Bed    string `json:"bed,omitempty"` // where to look at it
}

// servePaired tells the enroll page whether a tablet has paired to the ward (the bed in
// query bed) since the time in query since (Unix ms), so that the page can say so.
func (c *Console) servePaired(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	wd, err := c.wardFor(ctx, u, r.PathValue("ward"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	ms, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	if err != nil {
		c.fail(w, r, u, nil, bad("since"))
		return
	}
	devices, err := c.cfg.Store.Devices(ctx, wd.ID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	bedID, since, lang := r.URL.Query().Get("bed"), time.UnixMilli(ms), c.lang(r)
	var a pairedAnswer
	for _, d := range devices {
		if d.Revoked || d.Created.Before(since) || (bedID != "" && d.BedID != bedID) {
			continue
		}
		a.Paired, a.Bed = true, d.BedID
		a.Text = translate(lang, "enroll.paired", d.Name, wd.Name)
		if b, err := c.cfg.Store.Bed(ctx, d.BedID); err == nil {
			a.Text = translate(lang, "enroll.pairedbed", d.Name, translate(lang, "bed.label", b.Name))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(a)
}

package console

import (
	"context"
	"crypto/sha256"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bedside/server/store"
)

// linkTokenBytes is the randomness of a family link token: 128 bits, as server.NewFamilyLink.
const linkTokenBytes = 16

// linkDays are the lifetimes a nurse can pick for a family link.
var linkDays = []int{1, 7, 14, 30}

type linkRow struct {
	ID                        string
	Created, Expires, Revoked time.Time
	State                     string // active, expired, revoked
}

type newLink struct {
	URL, Message string
	QR           template.URL
	Expires      time.Time
}

type contactData struct {
	Ward        store.Ward
	Bed         store.Bed
	Patient     store.Patient
	Contact     store.Contact
	Links       []linkRow
	New         *newLink
	Days        []int
	DefaultDays int
	Form        url.Values
}

func linkState(l store.Link, now time.Time) string {
	switch {
	case !l.Revoked.IsZero():
		return "revoked"
	case !now.Before(l.Expires):
		return "expired"
	}
	return "active"
}

func contactValues(k store.Contact) url.Values {
	f := url.Values{"name": {k.Name}, "relation": {k.Relation}, "language": {k.Language}}
	if k.AutoAnswer {
		f.Set("auto", "1")
	}
	if !k.JoinOff {
		f.Set("join", "1")
	}
	return f
}

func (c *Console) serveContact(w http.ResponseWriter, r *http.Request, u *user) {
	id := r.PathValue("contact")
	var fresh *newLink
	if made := r.URL.Query().Get("made"); made != "" {
		fresh = c.fresh.get(made, u.ID, id)
	}
	c.renderContact(w, r, u, id, fresh, nil, nil)
}

// renderContact shows a contact with its links; fresh is a link just made (shown once), form
// the contact form after a failure.
func (c *Console) renderContact(w http.ResponseWriter, r *http.Request, u *user, id string, fresh *newLink, form url.Values, failure error) {
	ctx := r.Context()
	pl, k, err := c.contactFor(ctx, u, id)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	links, err := c.cfg.Store.Links(ctx, k.ID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	d := contactData{Ward: pl.Ward, Bed: pl.Bed, Patient: pl.Patient, Contact: k, New: fresh,
		Days: linkDays, DefaultDays: c.defaultLinkDays(), Form: contactValues(k)}
	now := c.cfg.Now()
	for i := len(links) - 1; i >= 0; i-- { // newest first
		l := links[i]
		d.Links = append(d.Links, linkRow{ID: l.ID, Created: l.Created, Expires: l.Expires, Revoked: l.Revoked,
			State: linkState(l, now)})
	}
	v := c.newView(r, u, "contact")
	v.Title = k.Name
	v.Data = &d
	if failure == nil {
		c.render(w, http.StatusOK, v)
		return
	}
	if form != nil {
		d.Form = form
	}
	c.fail(w, r, u, v, failure)
}

// contactFields reads the contact form.
func contactFields(f url.Values) (store.Contact, error) {
	var k store.Contact
	var err error
	if k.Name, err = requiredText(f.Get("name"), 64, "contactname"); err != nil {
		return k, err
	}
	if k.Relation, err = optionalText(f.Get("relation"), 64); err != nil {
		return k, err
	}
	if k.Language, err = language(f.Get("language")); err != nil {
		return k, err
	}
	k.AutoAnswer = f.Get("auto") != ""
	// As for group calls (patientFields): only a form showing the box (joinform) turns it off.
	k.JoinOff = f.Has("joinform") && f.Get("join") == ""
	return k, nil
}

// photoUpload processes and stores the form's photo, if any, and returns its hash ("" when
// the form has none).
func (c *Console) photoUpload(ctx context.Context, r *http.Request) (string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["photo"]) == 0 {
		return "", nil
	}
	fh := r.MultipartForm.File["photo"][0]
	if fh.Filename == "" && fh.Size == 0 { // the file input left empty
		return "", nil
	}
	if fh.Size > MaxPhotoBytes {
		return "", ErrPhotoSize
	}
	data, err := readPart(fh)
	if err != nil {
		return "", err
	}
	// Decoding takes memory: one photo at a time.
	c.photoMu.Lock()
	jpg, hash, err := ProcessPhoto(data, fh.Filename, fh.Header.Get("Content-Type"))
	c.photoMu.Unlock()
	if err != nil {
		c.log.Info("photo refused", "err", err)
		return "", err
	}
	if err := c.cfg.Store.PutPhoto(ctx, hash, "image/jpeg", jpg); err != nil {
		return "", err
	}
	return hash, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, ErrPhotoCorrupt
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
	if err != nil {
		return nil, ErrPhotoCorrupt
	}
	if len(data) > MaxPhotoBytes {
		return nil, ErrPhotoSize
	}
	return data, nil
}

func (c *Console) serveAddContact(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, err := c.admittedPatient(ctx, u, r.PathValue("patient"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	k, err := contactFields(r.PostForm)
	if err == nil {
		k.PhotoHash, err = c.photoUpload(ctx, r)
	}
	if err == nil {
		k.PatientID = pl.Patient.ID
		k, err = c.cfg.Store.CreateContact(ctx, k)
	}
	if err != nil {
		form := url.Values{}
		for key, vals := range r.PostForm {
			form[key] = vals
		}
		form.Set("contact", "1")
		c.renderBed(w, r, u, pl.Bed.ID, form, false, err)
		return
	}
	c.audit(ctx, u, "add-contact", k.ID)
	// A contact is added to be called: its link comes with it.
	made, err := c.makeLink(ctx, r, u, pl, k, c.defaultLinkDays(), false)
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	http.Redirect(w, r, "/console/contacts/"+k.ID+"?ok=contact&made="+made, http.StatusSeeOther)
}

// defaultLinkDays is how long a new family link lasts unless the nurse picks otherwise.
func (c *Console) defaultLinkDays() int {
	days := int(c.cfg.LinkTTL / (24 * time.Hour))
	if !slices.Contains(linkDays, days) {
		days = 14
	}
	return days
}

func (c *Console) serveUpdateContact(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, old, err := c.contactFor(ctx, u, r.PathValue("contact"))
	if err == nil && !pl.Patient.Discharged.IsZero() {
		err = clash("discharged")
	}
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	k, err := contactFields(r.PostForm)
	var hash string
	if err == nil {
		hash, err = c.photoUpload(ctx, r)
	}
	if err == nil {
		k.ID, k.PatientID, k.PhotoHash = old.ID, old.PatientID, old.PhotoHash
		if hash != "" {
			k.PhotoHash = hash
		}
		if !r.PostForm.Has("joinform") {
			k.JoinOff = old.JoinOff
		}
		err = c.cfg.Store.UpdateContact(ctx, k)
	}
	if err != nil {
		c.renderContact(w, r, u, old.ID, nil, r.PostForm, err)
		return
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.audit(ctx, u, "update-contact", k.ID)
	if k.JoinOff != old.JoinOff {
		c.audit(ctx, u, onOff("may-join", !k.JoinOff), k.ID)
	}
	redirect(w, r, "/console/contacts/"+k.ID, "saved")
}

func (c *Console) serveContactPhoto(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, k, err := c.contactFor(ctx, u, r.PathValue("contact"))
	if err == nil && (k.PhotoHash == "" || !pl.Patient.Discharged.IsZero()) {
		err = ErrNotFound // a discharged patient's photos are shown to no one
	}
	var ct string
	var data []byte
	if err == nil {
		ct, data, err = c.cfg.Store.Photo(ctx, k.PhotoHash)
	}
	if err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
}

func (c *Console) serveDeleteContact(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, k, err := c.contactFor(ctx, u, r.PathValue("contact"))
	if err == nil && !pl.Patient.Discharged.IsZero() {
		err = clash("discharged")
	}
	if err == nil {
		err = c.revokeLinks(ctx, k.ID, "")
	}
	if err == nil {
		err = c.cfg.Store.DeleteContact(ctx, k.ID)
	}
	if err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.audit(ctx, u, "delete-contact", k.ID)
	redirect(w, r, "/console/beds/"+pl.Bed.ID, "contactdeleted")
}

// revokeLinks revokes the contact's active links (only the one with id linkID when not empty).
func (c *Console) revokeLinks(ctx context.Context, contactID, linkID string) error {
	links, err := c.cfg.Store.Links(ctx, contactID)
	if err != nil {
		return err
	}
	now := c.cfg.Now()
	found := false
	for _, l := range links {
		if linkID != "" && l.ID != linkID {
			continue
		}
		found = true
		if !l.Revoked.IsZero() {
			continue
		}
		if err := c.cfg.Store.RevokeLink(ctx, l.ID, now); err != nil {
			return err
		}
	}
	if linkID != "" && !found {
		return ErrNotFound
	}
	return nil
}

// serveNewLink makes a family link for the contact and redirects to the page that shows it
// (POST-redirect-GET: a reload shows the same link, and makes or stops no other). Only the
// link's hash is stored; the page shows the link for freshLinkTTL.
func (c *Console) serveNewLink(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, k, err := c.contactFor(ctx, u, r.PathValue("contact"))
	if err == nil && !pl.Patient.Discharged.IsZero() {
		err = clash("discharged")
	}
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || !slices.Contains(linkDays, days) {
		c.renderContact(w, r, u, k.ID, nil, nil, bad("days"))
		return
	}
	made, err := c.makeLink(ctx, r, u, pl, k, days, r.PostForm.Get("replace") != "")
	if err != nil {
		c.renderContact(w, r, u, k.ID, nil, nil, err)
		return
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	http.Redirect(w, r, "/console/contacts/"+k.ID+"?made="+made, http.StatusSeeOther)
}

// makeLink makes a family link for contact k lasting days (stopping the contact's other
// links first when replace), keeps it for its page and returns the id the page is reached by.
func (c *Console) makeLink(ctx context.Context, r *http.Request, u *user, pl place, k store.Contact, days int, replace bool) (string, error) {
	if replace {
		if err := c.revokeLinks(ctx, k.ID, ""); err != nil {
			return "", err
		}
	}
	token, err := c.random(linkTokenBytes)
	if err != nil {
		return "", err
	}
	now := c.cfg.Now()
	sum := sha256.Sum256([]byte(token))
	l, err := c.cfg.Store.CreateLink(ctx, store.Link{ContactID: k.ID, TokenHash: sum[:], Created: now,
		Expires: now.Add(time.Duration(days) * 24 * time.Hour)})
	if errors.Is(err, store.ErrConflict) {
		err = clash("discharged")
	}
	if err != nil {
		return "", err
	}
	c.audit(ctx, u, "create-link", l.ID)
	link := c.baseURL(r) + "/j/" + token
	qr, err := qrDataURL(link, 480)
	if err != nil {
		return "", err
	}
	lang := k.Language
	if lang == "" {
		lang = pl.Patient.Language
	}
	msg := translate(lang, "msg.family", k.Name, pl.Ward.Name, pl.Patient.FirstName, link,
		l.Expires.Local().Format("02/01/2006"))
	id, err := c.random(linkTokenBytes)
	if err != nil {
		return "", err
	}
	c.fresh.put(id, u.ID, k.ID, newLink{URL: link, Message: msg, QR: qr, Expires: l.Expires})
	return id, nil
}

func (c *Console) serveRevokeLink(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	pl, k, err := c.contactFor(ctx, u, r.PathValue("contact"))
	if err == nil {
		err = c.revokeLinks(ctx, k.ID, r.PathValue("link"))
	}
	if err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.hub.ConfigChanged(ctx, pl.Bed.ID)
	c.audit(ctx, u, "revoke-link", r.PathValue("link"))
	redirect(w, r, "/console/contacts/"+k.ID, "linkrevoked")
}

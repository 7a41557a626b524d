package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"bedside/provisioning"
	"bedside/server/store"
)

// Flow 2: a tablet without a usable camera shows a QR code of
// /console/pair?c=<its short code>&f=<its key fingerprint>; a nurse's phone opens it here.
// Approving stores an ordinary one-time enrollment for the chosen ward and bed whose code hash
// is the hash of the tablet's own code (its long token is random and thrown away), so the
// tablet, which keeps trying to enroll with its code, succeeds on its next try through the
// unchanged enrollment endpoint. The approval expires like any enrollment (cfg.EnrollTTL).

type wardBeds struct {
	ID, Name string
	Beds     []store.Bed
}

type pairData struct {
	Code, RawCode, Fingerprint string
	Wards                      []wardBeds
	Done                       bool
	Target                     string
}

func (c *Console) pairData(r *http.Request, u *user, q url.Values) (pairData, error) {
	code, fp, err := provisioning.ParsePairingRequest(q)
	if err != nil {
		return pairData{}, bad("pairrequest")
	}
	d := pairData{Code: provisioning.FormatCode(code), RawCode: code, Fingerprint: fp}
	wards, err := c.visibleWards(r.Context(), u)
	if err != nil {
		return pairData{}, err
	}
	for _, wd := range wards {
		beds, err := c.cfg.Store.Beds(r.Context(), wd.ID)
		if err != nil {
			return pairData{}, err
		}
		d.Wards = append(d.Wards, wardBeds{ID: wd.ID, Name: wd.Name, Beds: beds})
	}
	return d, nil
}

func (c *Console) servePairPage(w http.ResponseWriter, r *http.Request, u *user) {
	d, err := c.pairData(r, u, r.URL.Query())
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	v := c.newView(r, u, "pair")
	v.Data = d
	c.render(w, http.StatusOK, v)
}

func (c *Console) servePair(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	q := url.Values{"c": r.PostForm["c"], "f": r.PostForm["f"]}
	d, err := c.pairData(r, u, q)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	v := c.newView(r, u, "pair")
	v.Data = d
	var wd store.Ward
	var bed store.Bed
	kind, id, _ := strings.Cut(r.PostForm.Get("target"), ":")
	switch kind {
	case "ward":
		wd, err = c.wardFor(ctx, u, id)
	case "bed":
		wd, bed, err = c.bedFor(ctx, u, id)
	default:
		err = bad("chooseplace")
	}
	if err != nil {
		c.fail(w, r, u, v, err)
		return
	}
	token, _, err := provisioning.NewEnrollmentSecrets(c.cfg.Rand)
	if err != nil {
		c.fail(w, r, u, v, err)
		return
	}
	now := c.cfg.Now()
	err = c.cfg.Store.CreateEnrollment(ctx, store.Enrollment{
		TokenHash: provisioning.HashSecret(token), CodeHash: provisioning.HashSecret(d.RawCode),
		WardID: wd.ID, BedID: bed.ID, Created: now, Expires: now.Add(c.cfg.EnrollTTL),
		Fingerprint: d.Fingerprint})
	if errors.Is(err, store.ErrConflict) {
		err = clash("codeinuse")
	}
	if err != nil {
		c.fail(w, r, u, v, err)
		return
	}
	target := wd.ID
	d.Target = wd.Name
	if bed.ID != "" {
		target = bed.ID
		d.Target = wd.Name + " · " + translate(v.Lang, "bed.label", bed.Name)
	}
	c.audit(ctx, u, "approve-pairing", target)
	c.log.Info("pairing request approved", "ward", wd.ID, "bed", bed.ID, "staff", u.ID)
	d.Done = true
	v.Data = d
	c.render(w, http.StatusOK, v)
}

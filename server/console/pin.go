package console

import (
	"net/http"

	"golang.org/x/crypto/bcrypt"
)

// The ward's nurse PIN unlocks its tablets' staff screens. Tablets get only its bcrypt hash
// (in their configuration) and check a typed PIN against it offline.
const (
	minPIN = 4
	maxPIN = 12
	// pinCost is the bcrypt cost of a nurse PIN hash: a tablet checks a typed PIN against it
	// in well under a second. (A short PIN has little entropy whatever the cost; the hash
	// only keeps it out of plain sight on the tablet.)
	pinCost = bcrypt.DefaultCost
)

// validPIN reports whether pin is 4 to 12 ASCII digits.
func validPIN(pin string) bool {
	if len(pin) < minPIN || len(pin) > maxPIN {
		return false
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

// serveNursePIN sets the ward's nurse PIN (an admin, or a nurse of the ward) and pushes its
// hash to the ward's tablets at once. The PIN itself is never stored, logged or echoed back.
func (c *Console) serveNursePIN(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	wd, err := c.wardFor(ctx, u, r.PathValue("ward"))
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	pin := r.PostForm.Get("pin")
	switch {
	case !validPIN(pin):
		c.renderWard(w, r, u, wd.ID, nil, bad("pin"))
		return
	case r.PostForm.Get("repeat") != pin:
		c.renderWard(w, r, u, wd.ID, nil, bad("pinsdiffer"))
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pin), pinCost)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if err := c.cfg.Store.SetNursePIN(ctx, wd.ID, hash); err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.audit(ctx, u, "set-nurse-pin", wd.ID)
	c.hub.WardChanged(ctx, wd.ID)
	c.log.Info("nurse PIN set", "ward", wd.ID, "staff", u.ID)
	redirect(w, r, "/console/wards/"+wd.ID, "pin")
}

package console

import (
	"crypto/rand"
	"net/http"

	"bedside/provisioning"
)

// The ward's nurse PIN unlocks its tablets' staff screens: 6 to 12 digits
// (provisioning.ValidNursePIN). Tablets get only its argon2id hash (provisioning.HashNursePIN,
// in their configuration) and check a typed PIN against it offline.

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
	case provisioning.ValidNursePIN(pin) != nil:
		c.renderWard(w, r, u, wd.ID, nil, bad("pin"))
		return
	case r.PostForm.Get("repeat") != pin:
		c.renderWard(w, r, u, wd.ID, nil, bad("pinsdiffer"))
		return
	}
	hash, err := provisioning.HashNursePIN(pin, rand.Reader)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	if err := c.cfg.Store.SetNursePIN(ctx, wd.ID, []byte(hash)); err != nil {
		c.fail(w, r, u, nil, notFound(err))
		return
	}
	c.audit(ctx, u, "set-nurse-pin", wd.ID)
	c.hub.WardChanged(ctx, wd.ID)
	c.log.Info("nurse PIN set", "ward", wd.ID, "staff", u.ID)
	redirect(w, r, "/console/wards/"+wd.ID, "pin")
}

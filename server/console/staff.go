package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"bedside/server/store"
)

// The staff screen is an administrator's: accounts, their roles and wards, one-time
// passwords for new accounts and forgotten passwords.

type staffRow struct {
	ID, Name     string
	Role         store.Role
	WardIDs      []string
	WardNames    []string
	Locked, Self bool
}

// HasWard is for the template's checkboxes.
func (s staffRow) HasWard(id string) bool { return slices.Contains(s.WardIDs, id) }

type staffData struct {
	Staff                []staffRow
	Wards                []store.Ward
	NewName, NewPassword string
}

func (c *Console) serveStaff(w http.ResponseWriter, r *http.Request, u *user) {
	c.renderStaff(w, r, u, "", "", nil, nil)
}

func (c *Console) renderStaff(w http.ResponseWriter, r *http.Request, u *user, name, password string, form url.Values, failure error) {
	if !u.IsAdmin() {
		c.fail(w, r, u, nil, ErrForbidden)
		return
	}
	ctx := r.Context()
	all, err := c.cfg.Store.AllStaff(ctx)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	wards, err := c.cfg.Store.Wards(ctx)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	names := make(map[string]string, len(wards))
	for _, wd := range wards {
		names[wd.ID] = wd.Name
	}
	d := staffData{Wards: wards, NewName: name, NewPassword: password}
	now := c.cfg.Now()
	for _, s := range all {
		row := staffRow{ID: s.ID, Name: s.Name, Role: s.Role, WardIDs: s.WardIDs, Locked: now.Before(s.LockedUntil), Self: s.ID == u.ID}
		for _, id := range s.WardIDs {
			row.WardNames = append(row.WardNames, names[id])
		}
		d.Staff = append(d.Staff, row)
	}
	v := c.newView(r, u, "staff")
	v.Data = &d
	c.renderOrFail(w, r, u, v, form, failure)
}

// staffFields reads a role and wards, which must exist.
func (c *Console) staffFields(r *http.Request) (store.Role, []string, error) {
	role := store.Role(r.PostForm.Get("role"))
	if role != store.RoleAdmin && role != store.RoleNurse {
		return "", nil, bad("role")
	}
	wards := r.PostForm["ward"]
	if role == store.RoleNurse && len(wards) == 0 {
		return "", nil, bad("needward")
	}
	for _, id := range wards {
		if _, err := c.cfg.Store.Ward(r.Context(), id); err != nil {
			return "", nil, notFound(err)
		}
	}
	return role, wards, nil
}

func (c *Console) serveAddStaff(w http.ResponseWriter, r *http.Request, u *user) {
	if !u.IsAdmin() {
		c.fail(w, r, u, nil, ErrForbidden)
		return
	}
	name := r.PostForm.Get("name")
	role, wards, err := c.staffFields(r)
	if err == nil && validName(name) != nil {
		err = bad("staffname")
	}
	var s store.Staff
	var pw string
	if err == nil {
		s, pw, err = createStaff(r.Context(), c.cfg.Store, name, role, wards, c.cfg.Rand)
		if errors.Is(err, ErrNameTaken) {
			err = clash("nameexists")
		}
	}
	if err != nil {
		c.renderStaff(w, r, u, "", "", r.PostForm, err)
		return
	}
	c.audit(r.Context(), u, "add-staff", s.ID)
	c.renderStaff(w, r, u, s.Name, pw, nil, nil)
}

// otherStaff finds an account that is not the user's own (which she changes elsewhere, so
// that no administrator locks herself out).
func (c *Console) otherStaff(r *http.Request, u *user) (store.Staff, error) {
	if !u.IsAdmin() {
		return store.Staff{}, ErrForbidden
	}
	s, err := c.cfg.Store.Staff(r.Context(), r.PathValue("staff"))
	if err != nil {
		return store.Staff{}, notFound(err)
	}
	if s.ID == u.ID {
		return store.Staff{}, bad("self")
	}
	return s, nil
}

func (c *Console) serveUpdateStaff(w http.ResponseWriter, r *http.Request, u *user) {
	s, err := c.otherStaff(r, u)
	if err == nil {
		s.Role, s.WardIDs, err = c.staffFields(r)
	}
	if err == nil {
		err = c.cfg.Store.UpdateStaff(r.Context(), s)
	}
	if err != nil {
		c.renderStaff(w, r, u, "", "", nil, err)
		return
	}
	c.audit(r.Context(), u, "update-staff", s.ID)
	redirect(w, r, "/console/staff", "saved")
}

func (c *Console) serveResetStaff(w http.ResponseWriter, r *http.Request, u *user) {
	s, err := c.otherStaff(r, u)
	var pw string
	if err == nil {
		pw, err = resetPassword(r.Context(), c.cfg.Store, s, c.cfg.Rand)
	}
	if err != nil {
		c.renderStaff(w, r, u, "", "", nil, err)
		return
	}
	c.audit(r.Context(), u, "reset-password", s.ID)
	c.renderStaff(w, r, u, s.Name, pw, nil, nil)
}

package console

import (
	"context"
	"net/http"
	"time"
)

type auditRow struct {
	At                  time.Time
	Who, Action, Target string
	// Removed says the target is gone from the store (a contact deleted...); Target is then
	// empty.
	Removed bool
}

type auditData struct{ Entries []auditRow }

// serveAudit shows the audit log: every entry to an admin, her own entries to a nurse.
func (c *Console) serveAudit(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	entries, err := c.cfg.Store.AuditLog(ctx, 500)
	if err != nil {
		c.fail(w, r, u, nil, err)
		return
	}
	names := map[string]string{u.ID: u.Name}
	if u.IsAdmin() {
		staff, err := c.cfg.Store.AllStaff(ctx)
		if err != nil {
			c.fail(w, r, u, nil, err)
			return
		}
		for _, s := range staff {
			names[s.ID] = s.Name
		}
	}
	var d auditData
	targets := targetNames{c: c, ctx: ctx, lang: c.lang(r), known: map[string]string{}}
	for _, e := range entries {
		if !u.IsAdmin() && e.StaffID != u.ID {
			continue
		}
		who := names[e.StaffID]
		if who == "" && e.StaffID != "" {
			who = e.StaffID
		}
		target, found := targets.name(e.Action, e.Target)
		d.Entries = append(d.Entries, auditRow{At: e.At, Who: who, Action: e.Action, Target: target,
			Removed: e.Target != "" && !found})
		if len(d.Entries) == 200 {
			break
		}
	}
	v := c.newView(r, u, "audit")
	v.Data = d
	c.render(w, http.StatusOK, v)
}

// targetNames turns the ids that audit entries point at into what a nurse calls them: a
// contact's or staff member's name, a patient's first name, a ward, "Bed 12". Each id is
// looked up once per page.
type targetNames struct {
	c     *Console
	ctx   context.Context
	lang  string
	known map[string]string
}

// name is the name of the target id of action, and whether it still exists. Family links are
// not named (their page names their contact); nor is anything unknown.
func (n *targetNames) name(action, id string) (string, bool) {
	if id == "" || action == "create-link" || action == "revoke-link" {
		return "", true
	}
	key := action + "\x00" + id
	if v, ok := n.known[key]; ok {
		return v, v != ""
	}
	v := n.lookup(action, id)
	n.known[key] = v
	return v, v != ""
}

func (n *targetNames) lookup(action, id string) string {
	st, ctx := n.c.cfg.Store, n.ctx
	bed := func() string {
		b, err := st.Bed(ctx, id)
		if err != nil {
			return ""
		}
		label := translate(n.lang, "bed.label", b.Name)
		if w, err := st.Ward(ctx, b.WardID); err == nil {
			return w.Name + " · " + label
		}
		return label
	}
	ward := func() string {
		if w, err := st.Ward(ctx, id); err == nil {
			return w.Name
		}
		return ""
	}
	switch action {
	case "add-contact", "update-contact", "delete-contact":
		if k, err := st.Contact(ctx, id); err == nil {
			return k.Name
		}
	case "admit", "discharge", "transfer", "update-patient":
		if p, err := st.Patient(ctx, id); err == nil {
			return p.FirstName
		}
	case "create-bed":
		return bed()
	case "create-ward", "set-nurse-pin":
		return ward()
	case "approve-pairing", "enroll":
		if b := bed(); b != "" {
			return b
		}
		return ward()
	case "revoke-device":
		if d, err := st.Device(ctx, id); err == nil {
			return d.Name
		}
	case "add-staff", "update-staff", "change-password", "reset-password", "lockout":
		if s, err := st.Staff(ctx, id); err == nil {
			return s.Name
		}
	}
	return ""
}

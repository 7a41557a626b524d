package console

import (
	"net/http"
	"time"
)

type auditRow struct {
	At                  time.Time
	Who, Action, Target string
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
	for _, e := range entries {
		if !u.IsAdmin() && e.StaffID != u.ID {
			continue
		}
		who := names[e.StaffID]
		if who == "" && e.StaffID != "" {
			who = e.StaffID
		}
		d.Entries = append(d.Entries, auditRow{At: e.At, Who: who, Action: e.Action, Target: e.Target})
		if len(d.Entries) == 200 {
			break
		}
	}
	v := c.newView(r, u, "audit")
	v.Data = d
	c.render(w, http.StatusOK, v)
}

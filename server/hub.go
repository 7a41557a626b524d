package server

import (
	"log/slog"
	"sync"

	"bedside/call/signal"
	"bedside/server/store"
)

// hub knows who is connected and which calls exist, and routes messages between clients.
// Everything in it is guarded by mu; sending to a client only enqueues (or drops the client),
// so nothing under mu ever blocks on the network. Store writes happen after unlocking.
type hub struct {
	s *Server

	mu          sync.Mutex
	closed      bool
	devices     map[string]*client              // device id → its connection
	beds        map[string]*client              // bed id → the connection of its device
	contacts    map[string]map[*client]struct{} // contact id → its family connections
	bedFamilies map[string]map[*client]struct{} // bed id → family connections of its patient
	calls       map[string]*call
	// over remembers the ids of the calls that ended lately (oldest first) and why, so that a
	// late resume of one is told how it ended instead of taken for a call lost in a restart.
	over    []string
	overSet map[string]signal.Reason
}

// maxOver bounds hub.over.
const maxOver = 4096

func newHub(s *Server) *hub {
	return &hub{
		s:           s,
		devices:     make(map[string]*client),
		beds:        make(map[string]*client),
		contacts:    make(map[string]map[*client]struct{}),
		bedFamilies: make(map[string]map[*client]struct{}),
		calls:       make(map[string]*call),
		overSet:     make(map[string]signal.Reason),
	}
}

// join registers an authenticated client and sends it welcome with cfg, completed with who is
// online. A device replaces an older connection of the same device.
func (h *hub) join(c *client, cfg *signal.Config) error {
	var recs []store.CallRecord
	defer func() { h.logCalls(recs) }()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrShuttingDown
	}
	switch c.role {
	case signal.RoleDevice:
		if old := h.devices[c.id]; old != nil {
			h.removeLocked(old, true, &recs)
			old.stop(statusReplaced, "replaced by a newer connection", false)
		}
		h.devices[c.id] = c
		if c.bedID != "" {
			h.beds[c.bedID] = c
		}
		for i := range cfg.Contacts {
			cfg.Contacts[i].Online = len(h.contacts[cfg.Contacts[i].ID]) > 0
		}
		c.joined = true
		c.party = signal.Party{ID: signal.DevicePeer, Name: cfg.Patient}
		h.sendLocked(c, signal.Message{Type: signal.TypeWelcome, Config: cfg})
		if c.bedID != "" {
			for f := range h.bedFamilies[c.bedID] {
				h.sendLocked(f, presence(signal.DevicePeer, true))
			}
		}
	case signal.RoleFamily:
		set := h.contacts[c.id]
		if c.guest {
			set = nil // a guest is nobody's contact: no presence, never rung
		} else if set == nil {
			set = make(map[*client]struct{})
			h.contacts[c.id] = set
		}
		if set != nil {
			set[c] = struct{}{}
		}
		fams := h.bedFamilies[c.bedID]
		if fams == nil {
			fams = make(map[*client]struct{})
			h.bedFamilies[c.bedID] = fams
		}
		fams[c] = struct{}{}
		dev := h.beds[c.bedID]
		cfg.DeviceOnline = dev != nil
		c.joined = true
		c.setSelfLocked(cfg)
		h.sendLocked(c, signal.Message{Type: signal.TypeWelcome, Config: cfg})
		h.liveToLocked(c)
		if len(set) == 1 && dev != nil {
			h.sendLocked(dev, presence(c.id, true))
		}
	default:
		return ErrForbidden
	}
	h.s.metrics.joined(c)
	return nil
}

// leave unregisters c, ending its call.
func (h *hub) leave(c *client) {
	var recs []store.CallRecord
	h.mu.Lock()
	if c.joined {
		h.removeLocked(c, false, &recs)
	}
	h.mu.Unlock()
	h.logCalls(recs)
}

// removeLocked takes c out of the hub and its call; quiet skips the offline presence (the
// device is being replaced by a newer connection).
func (h *hub) removeLocked(c *client, quiet bool, recs *[]store.CallRecord) {
	c.joined = false
	h.s.metrics.left(c)
	if c.call != nil {
		h.leaveCallLocked(c, recs)
	}
	switch c.role {
	case signal.RoleDevice:
		if h.devices[c.id] == c {
			delete(h.devices, c.id)
		}
		if c.bedID != "" && h.beds[c.bedID] == c {
			delete(h.beds, c.bedID)
			// Another tablet still paired to the bed takes over.
			for _, d := range h.devices {
				if d.bedID == c.bedID {
					h.beds[c.bedID] = d
					break
				}
			}
			if !quiet && h.beds[c.bedID] == nil {
				for f := range h.bedFamilies[c.bedID] {
					h.sendLocked(f, presence(signal.DevicePeer, false))
				}
			}
		}
	case signal.RoleFamily:
		if set := h.contacts[c.id]; set != nil && !c.guest {
			delete(set, c)
			if len(set) == 0 {
				delete(h.contacts, c.id)
				if dev := h.beds[c.bedID]; dev != nil {
					h.sendLocked(dev, presence(c.id, false))
				}
			}
		}
		if fams := h.bedFamilies[c.bedID]; fams != nil {
			delete(fams, c)
			if len(fams) == 0 {
				delete(h.bedFamilies, c.bedID)
			}
		}
	}
}

// close refuses new clients. Calls still being set up end as failed (their ends cannot finish
// setting them up without a server); connected calls are forgotten without ending: their
// media is peer to peer and goes on, and their ends resume them with the next server (this
// one restarted, or another), which writes their log rows when they end.
func (h *hub) close() {
	var recs []store.CallRecord
	h.mu.Lock()
	h.closed = true
	for id, k := range h.calls {
		if k.state != stateConnected {
			h.endLocked(k, signal.ReasonFailed, nil, &recs)
			continue
		}
		for _, t := range []Timer{k.timer, k.awayTimer} {
			if t != nil {
				t.Stop()
			}
		}
		for _, c := range []*client{k.caller, k.callee} {
			if c != nil && c.call == k {
				c.call = nil // its leaving must not end the call
			}
		}
		h.groupForgetLocked(k)
		delete(h.calls, id)
	}
	h.s.metrics.callsNow(len(h.calls))
	h.mu.Unlock()
	h.logCalls(recs)
}

// sendLocked encodes m and queues it for c, dropping c when its queue is full.
func (h *hub) sendLocked(c *client, m signal.Message) {
	data, err := signal.Encode(m)
	if err != nil {
		h.s.log.Error("encode message", "type", m.Type, "err", err)
		return
	}
	c.enqueue(data)
}

func presence(peer string, online bool) signal.Message {
	return signal.Message{Type: signal.TypePresence, Peer: peer, Online: &online}
}

// logCalls writes the call-log rows of calls that ended.
func (h *hub) logCalls(recs []store.CallRecord) {
	for _, r := range recs {
		h.s.metrics.callEnded(r)
		ctx, cancel := storeCtx()
		_, err := h.s.cfg.Store.LogCall(ctx, r)
		cancel()
		if err != nil {
			h.s.log.Error("log call", "patient", r.PatientID, "err", err)
			continue
		}
		h.spendGuestLinks(r)
		h.s.log.Info("call ended", slog.String("direction", string(r.Direction)),
			slog.String("reason", r.Reason), slog.Int("setup_ms", r.SetupMS),
			slog.String("patient", r.PatientID), slog.String("contact", r.ContactID))
	}
}

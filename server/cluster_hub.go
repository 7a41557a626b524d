package server

import (
	"bedside/call/signal"
	"bedside/server/store"
)

// forgetWard lets go of the calls of a ward this instance no longer owns, as close does for
// all of them: calls being set up end as failed; connected calls are forgotten without
// ending, and their ends resume them with the ward's new owner, which writes their log rows.
func (h *hub) forgetWard(ward string) {
	var recs []store.CallRecord
	h.mu.Lock()
	for id, k := range h.calls {
		if !k.inWard(ward) {
			continue
		}
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
		h.groupForgetLocked(k) // its members' neither; the ringing is dropped
		delete(h.calls, id)
	}
	h.s.metrics.callsNow(len(h.calls))
	h.mu.Unlock()
	h.logCalls(recs)
}

// inWard reports whether an end of k (a member of a group call, a screen rung into it) is a
// client of ward.
func (k *call) inWard(ward string) bool {
	for _, c := range k.clients() {
		if c.wardID == ward {
			return true
		}
	}
	return false
}

// clients are k's clients here: its ends, the screens ringing, the members of a group call
// and the screens being rung into it.
func (k *call) clients() []*client {
	var out []*client
	for _, c := range append([]*client{k.caller, k.callee}, k.rung...) {
		if c != nil {
			out = append(out, c)
		}
	}
	for _, m := range k.grp.members {
		if m.c != nil {
			out = append(out, m.c)
		}
	}
	for _, r := range k.grp.ringing {
		out = append(out, r.clients...)
	}
	return out
}

package server

import "bedside/call/signal"

// takeOverLocked gives call k of two to c, a new connection of the family end that is still
// in it on an old connection: a phone that changed networks (Wi-Fi to mobile data, say) is
// back on a new connection before the server notices that its old one is dead (that takes a
// missed ping), so the call is not "away" and resume would find no place for it. The same
// link proves the same end. The old connection stays up, out of the call. It reports false
// when c is not such an end. Guarded by hub.mu.
func (h *hub) takeOverLocked(c *client, k *call) bool {
	if c.role != signal.RoleFamily || c.guest || k.isGroup() ||
		(k.state != stateConnected && k.state != stateAccepted) {
		return false
	}
	for _, sd := range []side{sideCaller, sideCallee} {
		old := k.caller
		if sd == sideCallee {
			old = k.callee
		}
		if old == nil || old == c || old.role != c.role || old.id != c.id || !k.wasAt(c, sd) {
			continue
		}
		old.call = nil
		if sd == sideCaller {
			k.caller = c
		} else {
			k.callee = c
		}
		k.grp.parties[sd] = c.party
		c.call = k
		h.s.log.Info("call resumed on a new connection of its end", "call", k.id)
		return true
	}
	return false
}

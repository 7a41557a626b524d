package console

import (
	"sync"
	"time"
)

// freshLinkTTL is how long a family link just made stays on its page (reloads included).
const freshLinkTTL = 15 * time.Minute

// maxFreshLinks bounds what freshLinks keeps; the oldest go first.
const maxFreshLinks = 1000

// freshLinks keeps each family link just made, for the nurse who made it, for a short while,
// so that the page showing it is a GET reached by a redirect (POST-redirect-GET): reloading it
// shows the same link again instead of making another (and, with "stop the old links" ticked,
// killing the one just sent). Only the server's memory holds the token; the store keeps its
// hash. A restart forgets them, as the nurse's next reload then says.
type freshLinks struct {
	now func() time.Time

	mu    sync.Mutex
	links map[string]freshLink // by a random id, which the redirect carries
}

type freshLink struct {
	staffID, contactID string
	link               newLink
	made               time.Time
}

func newFreshLinks(now func() time.Time) *freshLinks {
	return &freshLinks{now: now, links: make(map[string]freshLink)}
}

// put keeps l, made by staffID for contactID, under id.
func (f *freshLinks) put(id, staffID, contactID string, l newLink) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.sweepLocked(now)
	f.links[id] = freshLink{staffID: staffID, contactID: contactID, link: l, made: now}
}

// get returns the link kept under id when staffID made it for contactID and it is still
// fresh, else nil.
func (f *freshLinks) get(id, staffID, contactID string) *newLink {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.links[id]
	if !ok || k.staffID != staffID || k.contactID != contactID || f.now().Sub(k.made) >= freshLinkTTL {
		return nil
	}
	l := k.link
	return &l
}

// sweepLocked forgets the stale links, and the oldest when there are too many.
func (f *freshLinks) sweepLocked(now time.Time) {
	var oldestID string
	var oldest time.Time
	for id, k := range f.links {
		if now.Sub(k.made) >= freshLinkTTL {
			delete(f.links, id)
			continue
		}
		if oldestID == "" || k.made.Before(oldest) {
			oldestID, oldest = id, k.made
		}
	}
	if len(f.links) >= maxFreshLinks {
		delete(f.links, oldestID)
	}
}

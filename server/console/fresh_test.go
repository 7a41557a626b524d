package console

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A link just made is shown to the nurse who made it, for its contact, until it is stale; the
// box never grows past its bound.
func TestFreshLinks(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	f := newFreshLinks(func() time.Time { return now })
	f.put("id1", "nurse", "anna", newLink{URL: "u1"})
	if l := f.get("id1", "nurse", "anna"); assert.NotNil(t, l) {
		assert.Equal(t, "u1", l.URL)
	}
	assert.Nil(t, f.get("id1", "other", "anna"), "another nurse")
	assert.Nil(t, f.get("id1", "nurse", "bob"), "another contact")
	assert.Nil(t, f.get("id2", "nurse", "anna"), "another id")
	now = now.Add(freshLinkTTL)
	assert.Nil(t, f.get("id1", "nurse", "anna"), "stale")

	for i := range maxFreshLinks + 10 {
		now = now.Add(time.Millisecond)
		f.put(string(rune('a'+i%26))+time.Duration(i).String(), "nurse", "anna", newLink{})
	}
	assert.LessOrEqual(t, len(f.links), maxFreshLinks)
}

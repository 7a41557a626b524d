package app_test

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"bedside/app"
)

// A three-way call on the kiosk: a tile per participant with the name under it, a guest
// labelled "Guest · Interpreter", a photo tile for a participant whose picture does not come,
// "Calling Marco Rossi…" while the tablet rings him in through Add (one tap on his photo); back
// to one full-screen picture when one other is left; Hang up leaves.
func TestGroupCallScreen(t *testing.T) {
	r := newRig(t, func(c *app.Config) { c.Patient.GroupCalls = true })
	anna, giulia := family[0], family[2]
	guest := app.Participant{Contact: app.Contact{ID: "g1", Name: "Sofia", Relation: "Interpreter"}, Guest: true,
		State: app.PartInCall, Video: true}
	three := []app.Participant{
		{Contact: anna, State: app.PartInCall, Video: true},
		{Contact: giulia, State: app.PartInCall}, // sound only: her photo
		guest,
	}
	r.send(app.CallEvent{State: app.InCall, Peer: anna, Participants: three})
	r.waitScreen("in-call")
	for _, s := range []string{"Anna", "Giulia", "Sofia", "Guest · Interpreter"} {
		r.requireShows(s)
	}
	require.Equal(t, 3, r.tilesShown(), "a tile each")
	for _, o := range r.objects() {
		if app.IsPartTile(o) {
			id, video := app.TileShowsVideo(o)
			require.Equal(t, id != giulia.ID, video, "%s: a picture, or the photo when none comes", id)
		}
	}

	// Add: the contacts not in the call; one tap rings Marco.
	r.tap("Add someone")
	r.requireShows("Who should join the call?")
	for _, o := range r.objects() {
		if tile, ok := o.(*app.Tile); ok {
			require.NotEqual(t, anna.ID, tile.Contact.ID, "Anna is in the call already")
		}
	}
	test.Tap(r.tile("Marco Rossi"))
	r.waitFor("add:c2", func() bool { return r.phone.Has("add:c2") })
	r.drain()
	require.False(t, r.shows("Who should join the call?"), "the panel closes")
	four := append(three, app.Participant{Contact: family[1], State: app.PartRinging})
	r.send(app.CallEvent{State: app.InCall, Peer: anna, Participants: four})
	r.requireShows("Calling Marco Rossi…")
	require.Equal(t, 4, r.tilesShown())

	// Everyone but Anna leaves: her picture full screen again, her name on top.
	r.send(app.CallEvent{State: app.InCall, Peer: anna, Participants: three[:1]})
	require.Zero(t, r.tilesShown(), "no grid for one other")
	r.requireShows("Anna")

	r.tap("Hang up")
	r.waitFor("hangup", func() bool { return r.phone.Has("hangup") })
}

// Without the nurse's permission for group calls there is no Add.
func TestGroupCallNoAddWithoutPermission(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.InCall, Peer: family[0]})
	r.waitScreen("in-call")
	require.False(t, r.hasButton("Add someone"))
}

// The grid fits the kiosk's screens with five others (the speaker large, a strip below).
func TestGroupCallFits(t *testing.T) {
	var five []app.Participant
	for i, n := range []string{"Anna", "Marco Rossi", "Giulia", "Mariangela-Addolorata", "Sofia"} {
		five = append(five, app.Participant{Contact: app.Contact{ID: string(rune('a' + i)), Name: n},
			State: app.PartInCall, Video: i%2 == 0, Level: float64(i) / 10})
	}
	five[4].Guest, five[4].Relation = true, "Interpreter"
	for _, size := range kioskScreens {
		r := newRig(t, func(c *app.Config) { c.Patient.GroupCalls = true })
		r.k.Window().Resize(size)
		r.send(app.CallEvent{State: app.InCall, Peer: five[0].Contact, Participants: five})
		r.drain()
		for _, p := range r.cutOff(size) {
			t.Errorf("%v: %s", size, p)
		}
		require.Equal(t, 5, r.tilesShown())
	}
}

// tilesShown counts the participant tiles on screen.
func (r *rig) tilesShown() int {
	n := 0
	for _, o := range r.objects() {
		if app.IsPartTile(o) {
			n++
		}
	}
	return n
}

// Five others: the one speaking has the large tile above the strip; when another speaks
// clearly louder, their tile becomes the large one, and a voice only a little louder does not
// move it.
func TestGroupCallSpeakerLarger(t *testing.T) {
	var five []app.Participant
	for i, n := range []string{"Anna", "Marco Rossi", "Giulia", "Luca", "Sofia"} {
		five = append(five, app.Participant{Contact: app.Contact{ID: string(rune('a' + i)), Name: n},
			State: app.PartInCall, Video: true, Level: 0.1})
	}
	r := newRig(t, func(c *app.Config) { c.Patient.GroupCalls = true })
	show := func() {
		r.send(app.CallEvent{State: app.InCall, Peer: five[0].Contact, Participants: slices.Clone(five)})
		r.drain()
	}
	// largest returns whose tile is the largest, and checks that it is larger than every other.
	largest := func() string {
		var best fyne.CanvasObject
		var bestID string
		var tiles []fyne.CanvasObject
		for _, o := range r.objects() {
			if app.IsPartTile(o) {
				tiles = append(tiles, o)
				if best == nil || o.Size().Width*o.Size().Height > best.Size().Width*best.Size().Height {
					best = o
					bestID, _ = app.TileShowsVideo(o)
				}
			}
		}
		require.Len(t, tiles, 5)
		for _, o := range tiles {
			if o != best {
				require.Less(t, o.Size().Height, best.Size().Height/2, "the others in the strip")
			}
		}
		return bestID
	}

	five[2].Level = 0.6
	show()
	require.Equal(t, "c", largest(), "Giulia speaks")
	five[2].Level, five[4].Level = 0.1, 0.7
	show()
	require.Equal(t, "e", largest(), "Sofia speaks: her tile is the large one now")
	five[1].Level = 0.8 // not clearly louder than Sofia
	show()
	require.Equal(t, "e", largest(), "Sofia keeps it")
}

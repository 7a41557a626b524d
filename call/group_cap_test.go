package call

import (
	"context"
	"fmt"
	"testing"

	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// The decode cap is lifted when a place frees: the tablet, with four others, decodes the
// pictures of the first three (DefaultMaxVideoIn) and hears Dan only; when Ben, one of the
// three, leaves, Dan's pair is renegotiated (by its offerer, Dan) and the tablet decodes his
// picture, and his tile says so.
func TestGroupCallCapLiftedWhenDecodedLeaves(t *testing.T) {
	ctx := context.Background()
	_, dev, fam := newGroup(t, Config{}, "anna", "ben", "carl", "dan")
	anna, ben, carl, dan := fam["anna"], fam["ben"], fam["carl"], fam["dan"]
	defer func() {
		for _, p := range []*groupPhone{dev, anna, ben, carl, dan} {
			p.stop(t)
		}
	}()
	id := callInProgress(t, ctx, dev.testPhone, anna.testPhone, "anna")
	dev.inCallWith(t, "anna")
	require.NoError(t, ben.Join(ctx, id))
	dev.inCallWith(t, "anna", "ben")
	require.NoError(t, carl.Join(ctx, id))
	dev.inCallWith(t, "anna", "ben", "carl")
	require.NoError(t, dan.Join(ctx, id))
	dev.inCallWith(t, "anna", "ben", "carl", "dan")

	// Three pictures are decoded; Dan, past the cap, is heard and not seen, and his tile
	// shows his photo.
	for _, peer := range []string{"anna", "ben", "carl"} {
		dev.receives(t, peer)
	}
	testkit.Eventually(t, "sound from dan", func() bool { return dev.sinks.loud("dan") })
	dev.waitSnap(t, "dan past the cap", func(s Snapshot) bool {
		for _, p := range s.Call.Participants {
			if p.Party.ID == "dan" {
				return p.NoVideo && !p.Video
			}
		}
		return false
	})
	for _, peer := range []string{"anna", "carl"} {
		dev.receives(t, peer) // time enough for a picture of Dan's to have come, had it been sent
	}
	require.Zero(t, dev.sinks.frames("dan"), "no picture of dan's is decoded past the cap")

	// Ben leaves: his place goes to Dan.
	require.NoError(t, ben.Hangup(ctx))
	dev.inCallWith(t, "anna", "carl", "dan")
	dev.receives(t, "dan")
	dev.waitSnap(t, "dan's picture shown", func(s Snapshot) bool {
		for _, p := range s.Call.Participants {
			if p.Party.ID == "dan" {
				return !p.NoVideo && p.Video && p.State == PartInCall
			}
		}
		return false
	})
	dev.receives(t, "anna")
	dev.receives(t, "carl")
	require.NoError(t, dev.Hangup(ctx))
	dev.waitCall(t, id, Ended)
	dan.inCallWith(t, "anna", "carl") // the tablet left; the others go on
}

// While capped, the descriptions sent ask for no picture: only the video section's direction
// changes.
func TestCappedDescription(t *testing.T) {
	const sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n%s\r\n"
	cases := map[string]string{"a=sendrecv": "a=sendonly", "a=recvonly": "a=inactive", "a=sendonly": "a=sendonly", "a=inactive": "a=inactive"}
	s := &Session{}
	for in, out := range cases {
		require.Equal(t, fmt.Sprintf(sdp, in), s.outgoing(fmt.Sprintf(sdp, in)), "not capped: as made")
		s.noVideoIn.Store(true)
		require.Equal(t, fmt.Sprintf(sdp, out), s.outgoing(fmt.Sprintf(sdp, in)), in)
		s.noVideoIn.Store(false)
	}
}

package e2e

import (
	"context"
	"image"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/provisioning"
)

// tablet is the Go call engine enrolled as the demo bed's tablet, sending the synthetic test
// picture and tone, and counting what it decodes of the other end.
type tablet struct {
	phone        *call.Phone
	frames       atomic.Int64
	audioSamples atomic.Int64
	events       chan call.Event
	contactID    string
}

func newTablet(t *testing.T, w *ward, autoAnswer bool) *tablet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(t.TempDir(), "identity"))
	require.NoError(t, err)
	_, err = provisioning.Enroll(ctx, w.url, w.demo.PairingCode, id, "e2e tablet", "test")
	require.NoError(t, err)

	local, err := media.NewTest(media.TestOptions{})
	require.NoError(t, err)
	require.NoError(t, local.Start(ctx))
	tb := &tablet{events: make(chan call.Event, 64), contactID: w.demo.ContactID}
	tb.phone, err = call.New(call.Config{
		ServerURL:    w.wsURL(),
		Signer:       id,
		Media:        local,
		RemoteVideo:  media.VideoSinkFunc(func(image.Image) { tb.frames.Add(1) }),
		RemoteAudio:  media.AudioSinkFunc(func(pcm []int16, _, ch int) { tb.audioSamples.Add(int64(len(pcm) / max(ch, 1))) }),
		AutoAnswer:   autoAnswer,
		LoopbackOnly: true,
		Logger:       testLogger(t),
	})
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- tb.phone.Run(ctx) }()
	go func() {
		for e := range tb.phone.Events() {
			select {
			case tb.events <- e:
			default: // the tests look at Phone.State; older events may go
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ran)
		require.NoError(t, local.Close())
	})
	eventually(t, "the tablet connects", func() bool { return tb.phone.Connected() })
	return tb
}

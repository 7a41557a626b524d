package media

import (
	"sync"

	"github.com/pion/webrtc/v4"
)

// Track is one of a Local's two tracks: a webrtc.TrackLocalStaticSample that also tells its
// Local when a peer connection starts sending it (Bind) and stops (Unbind). The Local encodes
// a track only while at least one peer connection is bound to it, so that an idle device
// neither encodes nor keeps its camera and microphone open.
//
// Add it to a peer connection like any track: pc.AddTrack(local.VideoTrack()).
type Track struct {
	*webrtc.TrackLocalStaticSample
	bound func(delta int) // told +1 on each Bind and -1 on each Unbind that succeed
}

// Bind is called by the peer connection when it starts sending the track.
func (t *Track) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := t.TrackLocalStaticSample.Bind(c)
	if err == nil {
		t.bound(1)
	}
	return p, err
}

// Unbind is called by the peer connection when it stops sending the track.
func (t *Track) Unbind(c webrtc.TrackLocalContext) error {
	err := t.TrackLocalStaticSample.Unbind(c)
	if err == nil {
		t.bound(-1)
	}
	return err
}

// notifier wakes the goroutines waiting for a change of a Local's state (a binding, the
// preview, the camera switch). A waiter takes the channel before looking at the state, then
// waits on it: a change made in between closes that channel, so no change is missed.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel that is closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// notify wakes every waiter.
func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

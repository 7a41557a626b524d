package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"bedside/call"
	"bedside/call/media"
)

// endGrace is how long the peer stays connected after its dialled call ended.
const endGrace = 500 * time.Millisecond

// errCallFailed is returned when the call placed with -dial fails or cannot ring.
var errCallFailed = errors.New("the call failed")

// peer follows the phone's snapshots: it dials once connected (with -dial), prints call states,
// prints stats during a call and hangs up after -duration.
type peer struct {
	o     options
	phone *call.Phone
	local *media.Local
	out   io.Writer
	log   *slog.Logger

	ready     bool
	dialed    bool
	joined    string // the live call last joined (-join)
	inCallAt  time.Time
	lastLocal media.LocalStats
	lastAt    time.Time
}

// loop runs until ctx is done, or, with -dial, until the dialled call ended.
func (p *peer) loop(ctx context.Context, cancel context.CancelFunc, who string) error {
	var statsC <-chan time.Time
	var stats *time.Ticker
	var hangup <-chan time.Time
	stopStats := func() {
		if stats != nil {
			stats.Stop()
			stats, statsC = nil, nil
		}
		hangup = nil
	}
	defer stopStats()
	dialErr := make(chan error, 1)
	var shown call.CallInfo // the call state printed last
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-dialErr:
			if err != nil {
				fmt.Fprintf(p.out, "call state=failed err=%q\n", err.Error())
				return fmt.Errorf("%w: %w", errCallFailed, err)
			}
		case <-hangup:
			hangup = nil
			hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
			if err := p.phone.Hangup(hctx); err != nil {
				p.log.Warn("hang up", "err", err)
			}
			hcancel()
		case now := <-statsC:
			p.printStats(ctx, now)
		case s, ok := <-p.phone.Updates():
			if !ok {
				return nil
			}
			if s.Connected && !p.ready {
				p.ready = true
				fmt.Fprintf(p.out, "ready %s\n", who)
			}
			if s.Connected && p.o.dial != "" && !p.dialed {
				p.dialed = true
				to := p.o.dial
				if to == "patient" {
					to = ""
				}
				go func() {
					dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
					defer dcancel()
					_, err := p.phone.Dial(dctx, to)
					dialErr <- err
				}()
			}
			if p.o.join && s.Live.CanJoin && s.Live.Call != p.joined && s.Call.State.Over() {
				p.joined = s.Live.Call
				go func(id string) {
					jctx, jcancel := context.WithTimeout(ctx, 30*time.Second)
					defer jcancel()
					if err := p.phone.Join(jctx, id); err != nil {
						p.log.Warn("join", "call", id, "err", err)
					}
				}(s.Live.Call)
			}
			c := s.Call
			if c.ID == "" || (c.ID == shown.ID && c.State == shown.State) {
				continue
			}
			shown = c
			line := fmt.Sprintf("call state=%s dir=%s call=%s", c.State, c.Direction, c.ID)
			if c.Reason != "" {
				line += " reason=" + string(c.Reason)
			}
			fmt.Fprintln(p.out, line)
			switch c.State {
			case call.InCall:
				p.inCallAt, p.lastAt, p.lastLocal = time.Now(), time.Now(), p.local.Stats()
				if p.o.statsEvery > 0 {
					stats = time.NewTicker(p.o.statsEvery)
					statsC = stats.C
				}
				if p.o.duration > 0 {
					hangup = time.After(p.o.duration)
				}
			case call.Ended, call.Failed:
				stopStats()
				p.inCallAt = time.Time{}
				if p.o.dial != "" && c.Direction == call.Outgoing {
					// Let the hang-up reach the server before the connection closes: a
					// connection that drops mid-call ends the call as failed.
					select {
					case <-ctx.Done():
					case <-time.After(endGrace):
					}
					cancel()
					if c.State == call.Failed {
						return fmt.Errorf("%w: %s", errCallFailed, c.Reason)
					}
					return nil
				}
			}
		}
	}
}

// printStats prints one line of the call's figures, unless the call ended before its figures
// were read (a tick can race the hang-up; its figures would be the zero ones between calls).
// The pairs_ figures cover every peer connection of a group call (the others are the first
// pair's): their number, their summed upload, the mean frames a second received; with
// encode_total_ms (the encoder's time so far) they say what the whole call costs; sent_size
// and step are the last encoded frame's size and the rate ladder's step.
func (p *peer) printStats(ctx context.Context, now time.Time) {
	st := p.phone.Stats()
	if p.phone.State() != call.InCall {
		return
	}
	c := p.phone.Snapshot().Call
	ls := p.local.Stats()
	secs := now.Sub(p.lastAt).Seconds()
	sentFPS := 0.0
	if secs > 0 {
		sentFPS = float64(ls.VideoFrames-p.lastLocal.VideoFrames) / secs
	}
	encMS := 0.0
	if n := ls.VideoFrames - p.lastLocal.VideoFrames; n > 0 {
		encMS = float64((ls.EncodeTime - p.lastLocal.EncodeTime).Microseconds()) / 1000 / float64(n)
	}
	p.lastLocal, p.lastAt = ls, now
	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	pairs, err := p.phone.PeerStats(pctx)
	pcancel()
	if err != nil {
		p.log.Warn("peer stats", "err", err)
	}
	var pairsOut, pairsFPS float64
	for _, s := range pairs {
		pairsOut += s.OutboundBitrate
		pairsFPS += s.FPS
	}
	if len(pairs) > 0 {
		pairsFPS /= float64(len(pairs))
	}
	step := fmt.Sprintf("1/%d@%d", ls.Step.Scale, ls.Step.FPS) // the ladder's scale and frame rate
	if ls.Step.Paused {
		step = "paused"
	}
	fmt.Fprintf(p.out, "stats t=%.1fs state=%s fps=%.1f frames=%d size=%dx%d in_kbps=%.0f out_kbps=%.0f rtt_ms=%.1f "+
		"sent_fps=%.1f sent_frames=%d encode_ms=%.2f dropped=%d audio_samples=%d audio_concealed=%d audio_sent=%d plis_sent=%d keyframes_asked=%d decode_errors=%d nacks_sent=%d loss_gaps=%d "+
		"video_paused=%t their_video_stopped=%t pairs=%d pairs_out_kbps=%.0f pairs_fps=%.1f encode_total_ms=%d sent_size=%dx%d step=%s\n",
		now.Sub(p.inCallAt).Seconds(), st.State, st.FPS, st.FramesDecoded, st.Width, st.Height,
		st.InboundBitrate/1000, st.OutboundBitrate/1000, float64(st.RTT.Microseconds())/1000,
		sentFPS, ls.VideoFrames, encMS, ls.VideoDropped, st.AudioSamples, st.AudioConcealed, ls.AudioPackets*media.OpusFrameSamples, st.PLIsSent, st.KeyFramesAsked, st.DecodeErrors, st.NACKsSent, st.LossGaps,
		c.VideoPaused, c.TheirVideoStopped, len(pairs), pairsOut/1000, pairsFPS, ls.EncodeTime.Milliseconds(), ls.Width, ls.Height, step)
}

package router

import (
	"context"
	"math/rand/v2"
	"time"
)

// packet is one IPv4 packet on its way through the router: route holds the stages still ahead
// of it; after the last one it is written back into the TUN.
type packet struct {
	data     []byte
	udp      bool
	src, dst string // the links of its source and destination ("" outside every link)
	route    []*stage
}

// queued is a packet waiting in a stage until it is due.
type queued struct {
	p   packet
	due time.Time
}

type statsReq struct{ reply chan Counters }

// stage is one direction of one link. Its goroutine (run) owns the impairment, the queue and
// the counters; everything else reaches it through its channels.
type stage struct {
	up    bool // the packets leave the link's host (else they come to it)
	in    chan packet
	set   chan Impairment
	stats chan statsReq
}

func newStage(up bool) *stage {
	return &stage{up: up, in: make(chan packet, 4096), set: make(chan Impairment), stats: make(chan statsReq)}
}

// run forwards packets until ctx is done; out takes each packet that leaves the stage.
func (s *stage) run(ctx context.Context, out func(packet)) {
	var (
		im        Impairment
		c         Counters
		q         []queued  // in due order
		busyUntil time.Time // when the rate-limited link has sent what it has queued
		lastDue   time.Time
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	arm := func() {
		timer.Stop()
		if len(q) > 0 {
			timer.Reset(time.Until(q[0].due))
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case next := <-s.set:
			im = next
			if im.RateKbps == 0 {
				busyUntil = time.Time{}
			}
		case r := <-s.stats:
			r.reply <- c
		case p := <-s.in:
			c.In++
			now := time.Now()
			switch {
			case im.Cut:
				c.DropCut++
				continue
			case p.udp && (im.BlockUDP || (im.BlockUDPWith != "" && s.otherEnd(p) == im.BlockUDPWith)):
				c.DropUDP++
				continue
			case im.LossPct > 0 && rand.Float64()*100 < im.LossPct:
				c.DropLoss++
				continue
			}
			sent := now
			if im.RateKbps > 0 {
				start := now
				if busyUntil.After(now) {
					start = busyUntil
				}
				backlog := int(start.Sub(now).Seconds() * float64(im.RateKbps) * 1000 / 8)
				if backlog+len(p.data) > im.queueLimit() {
					c.DropQueue++
					continue
				}
				busyUntil = start.Add(time.Duration(float64(len(p.data)*8) / float64(im.RateKbps*1000) * float64(time.Second)))
				sent = busyUntil
			}
			due := sent.Add(im.Delay)
			if im.Jitter > 0 {
				due = due.Add(rand.N(im.Jitter))
			}
			if due.Before(lastDue) {
				due = lastDue
			}
			lastDue = due
			if len(q) == 0 && !due.After(now) {
				c.Out++
				c.OutBytes += uint64(len(p.data))
				out(p)
				continue
			}
			q = append(q, queued{p: p, due: due})
			if len(q) == 1 {
				arm()
			}
		case <-timer.C:
			now := time.Now()
			for len(q) > 0 && !q[0].due.After(now) {
				p := q[0].p
				q[0] = queued{}
				q = q[1:]
				if im.Cut {
					c.DropCut++
					continue
				}
				c.Out++
				c.OutBytes += uint64(len(p.data))
				out(p)
			}
			arm()
		}
	}
}

// otherEnd is the link at the far end of p from this stage's host.
func (s *stage) otherEnd(p packet) string {
	if s.up {
		return p.dst
	}
	return p.src
}

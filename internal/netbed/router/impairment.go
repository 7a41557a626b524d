package router

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadSetting is wrapped by errors about a malformed impairment setting.
var ErrBadSetting = errors.New("bad impairment setting")

// Impairment is what one direction of one link does to the packets crossing it. The zero value
// forwards everything at once.
type Impairment struct {
	// LossPct drops this percentage of packets at random (0–100).
	LossPct float64
	// Delay is added to every packet; Jitter adds up to this much more, at random. Packets
	// keep their order (a later packet never leaves before an earlier one).
	Delay, Jitter time.Duration
	// RateKbps limits the link to this many kbit/s (0: no limit); packets wait in a queue of
	// at most QueueBytes (0: half a second of the rate, at least 3000 bytes) and the ones that
	// do not fit are dropped (tail drop).
	RateKbps   int
	QueueBytes int
	// Cut drops every packet, also those already queued.
	Cut bool
	// BlockUDP drops every UDP packet; TCP and the rest pass.
	BlockUDP bool
	// BlockUDPWith drops the UDP packets exchanged with the hosts of this link (the direct
	// path between two ends), and lets UDP to the others (a relay) pass. Empty: none.
	BlockUDPWith string
}

// queueLimit is the queue size in bytes under a rate limit.
func (im Impairment) queueLimit() int {
	if im.QueueBytes > 0 {
		return im.QueueBytes
	}
	return max(3000, im.RateKbps*1000/8/2)
}

// String is the impairment as the key=value words of a control "set" command, every field
// given, so that applying it replaces what was set before.
func (im Impairment) String() string {
	return fmt.Sprintf("loss=%g delay=%s jitter=%s rate=%d queue=%d cut=%t udp-block=%t udp-block-with=%s",
		im.LossPct, im.Delay, im.Jitter, im.RateKbps, im.QueueBytes, im.Cut, im.BlockUDP, im.BlockUDPWith)
}

// Apply changes the fields named by key=value words ("loss=3 delay=100ms cut=true") and keeps
// the others. It returns the changed impairment, or an error and im unchanged.
func (im Impairment) Apply(words []string) (Impairment, error) {
	out := im
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return im, fmt.Errorf("%w: %q is not key=value", ErrBadSetting, w)
		}
		var err error
		switch k {
		case "loss":
			out.LossPct, err = strconv.ParseFloat(v, 64)
			if err == nil && (out.LossPct < 0 || out.LossPct > 100) {
				err = errors.New("not within 0–100")
			}
		case "delay":
			out.Delay, err = parseNonNegDuration(v)
		case "jitter":
			out.Jitter, err = parseNonNegDuration(v)
		case "rate":
			out.RateKbps, err = parseNonNegInt(v)
		case "queue":
			out.QueueBytes, err = parseNonNegInt(v)
		case "cut":
			out.Cut, err = strconv.ParseBool(v)
		case "udp-block":
			out.BlockUDP, err = strconv.ParseBool(v)
		case "udp-block-with":
			out.BlockUDPWith = v
		default:
			return im, fmt.Errorf("%w: unknown key %q", ErrBadSetting, k)
		}
		if err != nil {
			return im, fmt.Errorf("%w: %s=%q: %v", ErrBadSetting, k, v, err)
		}
	}
	return out, nil
}

func parseNonNegDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	return d, err
}

func parseNonNegInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	return n, err
}

// Counters are what one stage did so far.
type Counters struct {
	In        uint64 `json:"in"`
	Out       uint64 `json:"out"`
	OutBytes  uint64 `json:"out_bytes"`
	DropLoss  uint64 `json:"drop_loss"`
	DropCut   uint64 `json:"drop_cut"`
	DropUDP   uint64 `json:"drop_udp"`
	DropQueue uint64 `json:"drop_queue"`
}

// Dropped is the sum of every drop.
func (c Counters) Dropped() uint64 { return c.DropLoss + c.DropCut + c.DropUDP + c.DropQueue }

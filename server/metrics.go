package server

import (
	"io"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"bedside/call/signal"
	"bedside/server/store"
)

// metrics holds the numbers /metrics reports. The hub feeds the connection gauges and the
// calls-in-progress gauge from the places that already hold hub.mu, so they are exactly the
// hub's state; the call log rows feed the counters and the duration histogram as they are
// written. mu guards only these numbers: it is the innermost lock (taken under hub.mu, never
// taking another) and held just to add or copy, never around anything that waits.
//
// Labels are ward ids, end reasons and protocol error codes: bounded sets, never a name,
// a contact or a token.
type metrics struct {
	mu       sync.Mutex
	tablets  map[string]int    // ward id → connected tablets
	families map[string]int    // ward id → connected family pages
	calls    int               // calls in the hub: ringing, being set up, connected or held
	setup    histogram         // answer → connected, seconds
	duration histogram         // answer → end of answered calls, seconds
	ended    map[string]uint64 // end reason → calls
	failed   map[string]uint64 // failure stage (ringing, setup, in_call) → failed calls
	refused  map[string]uint64 // protocol error code → WebSocket connections refused
}

// Histogram buckets, in seconds. Setting a call up takes about a second on a ward network
// and fails at the 30 s connect timeout; calls last from seconds to a long visit.
var (
	setupBuckets    = []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30}
	durationBuckets = []float64{10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
)

func newMetrics() *metrics {
	return &metrics{
		tablets:  make(map[string]int),
		families: make(map[string]int),
		setup:    newHistogram(setupBuckets),
		duration: newHistogram(durationBuckets),
		ended:    make(map[string]uint64),
		failed:   map[string]uint64{"ringing": 0, "setup": 0, "in_call": 0},
		refused:  make(map[string]uint64),
	}
}

// wardLabel is the ward label of a connection: its ward id, or "none" when it is not known
// (a family page whose patient's bed could not be read).
func wardLabel(c *client) string {
	if c.wardID == "" {
		return "none"
	}
	return c.wardID
}

// joined counts c as connected; the hub calls it under hub.mu when c joins.
func (m *metrics) joined(c *client) { m.connected(c, 1) }

// left counts c as gone; the hub calls it under hub.mu when c leaves.
func (m *metrics) left(c *client) { m.connected(c, -1) }

func (m *metrics) connected(c *client, d int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c.role {
	case signal.RoleDevice:
		m.tablets[wardLabel(c)] += d
	case signal.RoleFamily:
		m.families[wardLabel(c)] += d
	}
}

// callsNow sets the calls-in-progress gauge; the hub calls it under hub.mu with len(h.calls)
// wherever that changes.
func (m *metrics) callsNow(n int) {
	m.mu.Lock()
	m.calls = n
	m.mu.Unlock()
}

// callSetUp records how long an answered call took to connect.
func (m *metrics) callSetUp(ms int) {
	m.mu.Lock()
	m.setup.observe(float64(ms) / 1000)
	m.mu.Unlock()
}

// callEnded records a call-log row: its end reason and, for an answered call, its duration.
func (m *metrics) callEnded(r store.CallRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ended[r.Reason]++
	if r.Reason == string(signal.ReasonFailed) {
		m.failed[failureStage(r)]++
	}
	if !r.Answered.IsZero() && !r.Ended.Before(r.Answered) {
		m.duration.observe(r.Ended.Sub(r.Answered).Seconds())
	}
}

// failureStage is where a failed call failed: before an answer ("ringing": an end vanished),
// between the answer and connected media ("setup": ICE or DTLS never got through, which is what
// a missing relay looks like), or after ("in_call": the media stopped and did not come back).
func failureStage(r store.CallRecord) string {
	switch {
	case r.Answered.IsZero():
		return "ringing"
	case r.SetupMS < 0:
		return "setup"
	}
	return "in_call"
}

// refusedConn records a WebSocket connection refused with code (at the upgrade, or at hello).
func (m *metrics) refusedConn(code signal.Code) {
	m.mu.Lock()
	m.refused[string(code)]++
	m.mu.Unlock()
}

// histogram counts observations into buckets with upper bounds bounds (ascending); counts has
// one more entry, for +Inf. Counts are per bucket here and cumulated when written.
type histogram struct {
	bounds []float64
	counts []uint64
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v) // the first bound ≥ v: buckets are "le"
	h.counts[i]++
	h.sum += v
	h.n++
}

func (h histogram) clone() histogram {
	h.bounds = slices.Clone(h.bounds)
	h.counts = slices.Clone(h.counts)
	return h
}

// snapshot is a copy of the metrics, taken under mu and written without it.
type snapshot struct {
	tablets, families map[string]int
	calls             int
	setup, duration   histogram
	ended, refused    map[string]uint64
	failed            map[string]uint64
}

func (m *metrics) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return snapshot{tablets: maps.Clone(m.tablets), families: maps.Clone(m.families), calls: m.calls,
		setup: m.setup.clone(), duration: m.duration.clone(),
		ended: maps.Clone(m.ended), refused: maps.Clone(m.refused), failed: maps.Clone(m.failed)}
}

// serveMetrics writes the metrics in the Prometheus text exposition format, version 0.0.4.
// It is hand-written: a dozen series do not need client_golang and its dependencies in a
// server that is one small static binary.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	snap := s.metrics.snapshot()
	var b strings.Builder
	e := expo{&b}
	e.family("bedside_tablets_connected", "gauge", "Bedside tablets connected, per ward id.")
	perLabel(e, "bedside_tablets_connected", "ward", snap.tablets)
	e.family("bedside_family_pages_connected", "gauge", "Family pages connected, per ward id of their patient.")
	perLabel(e, "bedside_family_pages_connected", "ward", snap.families)
	e.family("bedside_calls_in_progress", "gauge", "Calls ringing, being set up, connected or waiting for an end to come back.")
	e.sample("bedside_calls_in_progress", "", float64(snap.calls))
	e.family("bedside_call_setup_seconds", "histogram", "Time from answer to connected media.")
	e.histogram("bedside_call_setup_seconds", snap.setup)
	e.family("bedside_call_duration_seconds", "histogram", "Time from answer to end of answered calls.")
	e.histogram("bedside_call_duration_seconds", snap.duration)
	e.family("bedside_calls_ended_total", "counter", "Calls ended, per end reason.")
	perLabel(e, "bedside_calls_ended_total", "reason", snap.ended)
	e.family("bedside_calls_failed_total", "counter", "Calls ended as failed, per stage: ringing (an end vanished), setup (answered, media never connected), in_call (media lost).")
	perLabel(e, "bedside_calls_failed_total", "stage", snap.failed)
	e.family("bedside_websocket_refused_total", "counter", "WebSocket connections refused (too many, rate limited, bad hello, shutting down), per error code.")
	perLabel(e, "bedside_websocket_refused_total", "code", snap.refused)
	e.family("bedside_draining", "gauge", "1 while the server drains before stopping, else 0.")
	e.sample("bedside_draining", "", boolFloat(s.draining.Load()))
	s.writeRelayMetrics(e)
	e.family("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	e.sample("go_goroutines", "", float64(runtime.NumGoroutine()))
	_, _ = io.WriteString(w, b.String())
}

// writeRelayMetrics writes the embedded relay's allocations; nothing without it or with an
// external relay (coturn counts its own allocations: its prometheus option).
func (s *Server) writeRelayMetrics(e expo) {
	t := s.cfg.TURN
	if t == nil || t.External() {
		return
	}
	st, ok := t.stats()
	if !ok {
		return
	}
	refused := make(map[string]uint64, len(refusedReasons))
	for _, r := range refusedReasons {
		refused[r] = st.refused[r]
	}
	e.family("bedside_relay_allocations", "gauge", "Allocations the embedded TURN relay holds now.")
	e.sample("bedside_relay_allocations", "", float64(st.allocations))
	e.family("bedside_relay_allocations_refused_total", "counter", "Allocations the embedded TURN relay refused, per reason: username, expired, holder (revoked, discharged), quota. Wrong passwords are not counted.")
	perLabel(e, "bedside_relay_allocations_refused_total", "reason", refused)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// expo writes exposition lines.
type expo struct{ b *strings.Builder }

func (e expo) family(name, typ, help string) {
	e.b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// sample writes one line; labels is `k="v",...` already escaped, or empty.
func (e expo) sample(name, labels string, v float64) {
	e.b.WriteString(name)
	if labels != "" {
		e.b.WriteString("{" + labels + "}")
	}
	e.b.WriteString(" " + formatFloat(v) + "\n")
}

// perLabel writes one sample per key of vals, sorted, with the key as label.
func perLabel[N int | uint64](e expo, name, label string, vals map[string]N) {
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		e.sample(name, label+`="`+escapeLabel(k)+`"`, float64(vals[k]))
	}
}

func (e expo) histogram(name string, h histogram) {
	var cum uint64
	for i, ub := range h.bounds {
		cum += h.counts[i]
		e.sample(name+"_bucket", `le="`+formatFloat(ub)+`"`, float64(cum))
	}
	cum += h.counts[len(h.bounds)]
	e.sample(name+"_bucket", `le="+Inf"`, float64(cum))
	e.sample(name+"_sum", "", h.sum)
	e.sample(name+"_count", "", float64(h.n))
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// escapeLabel escapes a label value as the exposition format wants: backslash, quote, newline.
func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

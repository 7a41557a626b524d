// Package calltest holds hand-written fakes for testing code that uses the call engine: Hub, a
// tiny in-process signaling relay that speaks the call/signal protocol, so that two Phones (or a
// Phone and a browser page) can call each other in a test without the full ward server.
package calltest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"bedside/call/signal"

	"github.com/coder/websocket"
)

// HubConfig says who may connect to a Hub.
type HubConfig struct {
	// Device is the one bedside device's id and public key. A nil Key accepts any signature.
	Device    string
	DeviceKey ed25519.PublicKey
	// Family maps each family link token to the contact it stands for.
	Family map[string]signal.Party
	// ICEServers are handed out in every welcome.
	ICEServers []signal.ICEServer
	// RingBusy rings a callee even while it is in a call, instead of ending the invite as
	// busy, to test a client's own one-call-at-a-time rule.
	RingBusy bool
	// HoldCalls keeps an answered call whose end's connection goes, for that end to resume
	// (as the ward server does, for up to its outage limit); without it the call ends at once.
	// A group call's member whose connection goes stays in the call with it (the ward server
	// lets them go after its outage limit; this hub, never).
	HoldCalls bool
	// GroupCalls lets family ends join a call in progress and anyone in a call add a contact
	// to it (group.go).
	GroupCalls bool
}

// Hub is a minimal signaling server: it authenticates, relays invites, answers, SDP and
// candidates between the two ends of a call, and ends calls. It keeps no history and has no ring
// timeout. It listens on 127.0.0.1 only.
type Hub struct {
	cfg HubConfig
	srv *http.Server
	ln  net.Listener
	wg  sync.WaitGroup

	mu      sync.Mutex
	clients map[string]*hubClient // by peer id
	calls   map[string]*hubCall
	ended   []signal.Reason
}

type hubClient struct {
	id   string
	ws   *websocket.Conn
	out  chan signal.Message
	call string
}

type hubCall struct {
	id             string
	caller, callee string
	accepted       bool
	groupState
}

// NewHub starts a Hub on 127.0.0.1 and a free port.
func NewHub(cfg HubConfig) (*Hub, error) {
	if !signal.ValidID(cfg.Device) {
		return nil, errors.New("calltest: HubConfig.Device must be a valid id")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("calltest: listen: %w", err)
	}
	h := &Hub{cfg: cfg, ln: ln, clients: map[string]*hubClient{}, calls: map[string]*hubCall{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", h.serveWS)
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		_ = h.srv.Serve(ln)
	}()
	return h, nil
}

// URL is the Hub's WebSocket endpoint.
func (h *Hub) URL() string { return "ws://" + h.ln.Addr().String() + "/ws" }

// Close stops the Hub and drops every connection.
func (h *Hub) Close() error {
	err := h.srv.Close()
	h.mu.Lock()
	for _, c := range h.clients {
		c.ws.CloseNow()
	}
	h.mu.Unlock()
	h.wg.Wait()
	return err
}

// Drop cuts the connection of peer id (the device id, or a family contact's id), as a network
// failure would. It reports whether that peer was connected.
func (h *Hub) Drop(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.clients[id]
	if ok {
		c.ws.CloseNow()
	}
	return ok
}

// Ended returns the reasons of the calls that ended so far, in order.
func (h *Hub) Ended() []signal.Reason {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]signal.Reason(nil), h.ended...)
}

// Online reports whether peer id is connected.
func (h *Hub) Online(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.clients[id]
	return ok
}

func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	h.wg.Add(1)
	defer h.wg.Done()
	defer ws.CloseNow()
	ws.SetReadLimit(signal.MaxMessageSize)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	id, cfg, err := h.authenticate(ctx, ws)
	if err != nil {
		_ = write(ctx, ws, signal.ErrorMessage("", err))
		_ = ws.Close(websocket.StatusPolicyViolation, "unauthorized")
		return
	}
	c := &hubClient{id: id, ws: ws, out: make(chan signal.Message, 64)}
	c.out <- signal.Message{Type: signal.TypeWelcome, Config: &cfg}
	h.mu.Lock()
	if old, ok := h.clients[id]; ok {
		old.ws.CloseNow()
	}
	h.clients[id] = c
	h.mu.Unlock()
	h.presence(id, true)
	defer func() {
		h.mu.Lock()
		if h.clients[id] == c {
			delete(h.clients, id)
			if k := h.calls[c.call]; k != nil && k.group {
				if !h.cfg.HoldCalls {
					h.leaveLocked(k, id, signal.ReasonFailed, false)
				}
			} else if !h.cfg.HoldCalls || k == nil || !k.accepted {
				h.endLocked(c.call, signal.ReasonFailed, "")
			}
		}
		h.mu.Unlock()
		h.presence(id, false)
	}()

	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-c.out:
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				err := write(wctx, ws, m)
				wcancel()
				if err != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		m, err := signal.Decode(data)
		if err != nil {
			h.send(c, signal.ErrorMessage(m.Call, err))
			continue
		}
		h.handle(c, m)
	}
}

func (h *Hub) authenticate(ctx context.Context, ws *websocket.Conn) (string, signal.Config, error) {
	nonceBytes := make([]byte, 16)
	_, _ = rand.Read(nonceBytes)
	nonce := hex.EncodeToString(nonceBytes)
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := write(actx, ws, signal.Message{Type: signal.TypeChallenge, Nonce: nonce}); err != nil {
		return "", signal.Config{}, err
	}
	_, data, err := ws.Read(actx)
	if err != nil {
		return "", signal.Config{}, err
	}
	hello, err := signal.Decode(data)
	if err != nil || hello.Type != signal.TypeHello {
		return "", signal.Config{}, signal.Errorf(signal.CodeUnauthorized, "expected hello")
	}
	cfg := signal.Config{Ward: "Test ward", Bed: "1", Patient: "Pat", ICEServers: h.cfg.ICEServers}
	switch hello.Role {
	case signal.RoleDevice:
		sig, err := base64.StdEncoding.DecodeString(hello.Sig)
		if hello.Device != h.cfg.Device || err != nil ||
			(h.cfg.DeviceKey != nil && !ed25519.Verify(h.cfg.DeviceKey, signal.HelloPayload(nonce), sig)) {
			return "", cfg, signal.Errorf(signal.CodeUnauthorized, "unknown device or bad signature")
		}
		h.mu.Lock()
		for _, party := range h.cfg.Family {
			_, online := h.clients[party.ID]
			cfg.Contacts = append(cfg.Contacts, signal.Contact{Party: party, Online: online})
		}
		h.mu.Unlock()
		return hello.Device, cfg, nil
	case signal.RoleFamily:
		party, ok := h.cfg.Family[hello.Token]
		if !ok {
			return "", cfg, signal.Errorf(signal.CodeUnauthorized, "unknown link")
		}
		cfg.Self = &party
		cfg.DeviceOnline = h.Online(h.cfg.Device)
		return party.ID, cfg, nil
	}
	return "", cfg, signal.Errorf(signal.CodeUnauthorized, "unsupported role")
}

// presence tells the others that id came or went.
func (h *Hub) presence(id string, online bool) {
	peer := id
	if id == h.cfg.Device {
		peer = signal.DevicePeer
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for other, c := range h.clients {
		if other != id {
			h.send(c, signal.Message{Type: signal.TypePresence, Peer: peer, Online: &online})
		}
	}
}

// send queues m for c, dropping c if it is too slow. Call it with h.mu held or not at all
// concurrently with a removal of c; the queue itself is safe.
func (h *Hub) send(c *hubClient, m signal.Message) {
	select {
	case c.out <- m:
	default:
		c.ws.CloseNow()
	}
}

func (h *Hub) handle(c *hubClient, m signal.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groupLocked(c, m) {
		return
	}
	switch m.Type {
	case signal.TypeInvite:
		h.inviteLocked(c, m.To)
	case signal.TypeResume:
		if call, ok := h.calls[m.Call]; ok && (call.caller == c.id || call.callee == c.id ||
			(call.group && slices.Contains(call.members, c.id))) {
			c.call = m.Call
			return
		}
		h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeNoSuchCall, "no such call")))
	case signal.TypeAccept, signal.TypeDecline, signal.TypeOffer, signal.TypeAnswer,
		signal.TypeCandidate, signal.TypeRestart, signal.TypeConnected, signal.TypeHangup:
		call, ok := h.calls[m.Call]
		if !ok || (call.caller != c.id && call.callee != c.id) {
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeNoSuchCall, "no such call")))
			return
		}
		other := call.callee
		if c.id == call.callee {
			other = call.caller
		}
		switch m.Type {
		case signal.TypeAccept:
			if c.id != call.callee || call.accepted {
				h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeBadState, "cannot accept")))
				return
			}
			call.accepted = true
			h.relayLocked(other, signal.Message{Type: signal.TypeAccepted, Call: call.id})
		case signal.TypeDecline:
			h.endLocked(call.id, signal.ReasonDeclined, "")
		case signal.TypeHangup:
			reason := signal.ReasonHangup
			switch {
			case m.Reason == signal.ReasonFailed:
				reason = signal.ReasonFailed
			case !call.accepted:
				reason = signal.ReasonCancelled
			}
			h.endLocked(call.id, reason, "")
		case signal.TypeConnected:
		default:
			if !call.accepted {
				h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeBadState, "not accepted yet")))
				return
			}
			h.relayLocked(other, m)
		}
	default:
		h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeForbidden, "%s is not for clients", m.Type)))
	}
}

func (h *Hub) inviteLocked(c *hubClient, to string) {
	var from signal.Party
	if c.id == h.cfg.Device {
		from = signal.Party{ID: h.cfg.Device, Name: "Pat"}
	} else {
		for _, p := range h.cfg.Family {
			if p.ID == c.id {
				from = p
			}
		}
		to = h.cfg.Device
	}
	id := newCallID()
	callee, online := h.clients[to]
	switch {
	case c.call != "":
		h.send(c, signal.ErrorMessage("", signal.Errorf(signal.CodeBusy, "already in a call")))
	case !online:
		h.ended = append(h.ended, signal.ReasonOffline)
		h.send(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: signal.ReasonOffline})
	case callee.call != "" && !h.cfg.RingBusy:
		h.ended = append(h.ended, signal.ReasonBusy)
		h.send(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: signal.ReasonBusy})
	default:
		h.calls[id] = &hubCall{id: id, caller: c.id, callee: to}
		c.call = id
		if callee.call == "" {
			callee.call = id
		}
		h.send(c, signal.Message{Type: signal.TypeRinging, Call: id})
		h.send(callee, signal.Message{Type: signal.TypeRing, Call: id, From: &from})
	}
}

func (h *Hub) relayLocked(to string, m signal.Message) {
	if c, ok := h.clients[to]; ok {
		h.send(c, m)
	}
}

// endLocked ends call id, telling both ends (except skip).
func (h *Hub) endLocked(id string, reason signal.Reason, skip string) {
	call, ok := h.calls[id]
	if !ok {
		return
	}
	delete(h.calls, id)
	h.ended = append(h.ended, reason)
	ends := []string{call.caller, call.callee}
	if call.group {
		ends = call.members
	}
	for _, end := range ends {
		if c, ok := h.clients[end]; ok {
			if c.call == id {
				c.call = ""
			}
			if end != skip {
				h.send(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: reason})
			}
		}
	}
}

func newCallID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func write(ctx context.Context, ws *websocket.Conn, m signal.Message) error {
	data, err := signal.Encode(m)
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, data)
}

// FloodPresence sends the client id n presence messages saying that peer is online (or not),
// as fast as its connection takes them: a flood for testing how a client copes with many
// messages at once. It keeps id's queue at most half full, so that the hub's own messages
// still fit (a full queue drops the client). It reports false if id is not connected or its
// queue stopped moving.
func (h *Hub) FloodPresence(id, peer string, online bool, n int) bool {
	h.mu.Lock()
	c := h.clients[id]
	h.mu.Unlock()
	if c == nil {
		return false
	}
	for range n {
		for stuck := time.Now(); len(c.out) >= cap(c.out)/2; time.Sleep(time.Millisecond) {
			if time.Since(stuck) > 10*time.Second {
				return false
			}
		}
		c.out <- signal.Message{Type: signal.TypePresence, Peer: peer, Online: &online}
	}
	return true
}

// Package signal is Bedside's signaling wire protocol: the JSON messages that the kiosk, the
// family page and the nurse console exchange with the ward server over one WebSocket each.
//
// Every message is one JSON object of at most MaxMessageSize bytes with a "type" and, for
// anything about a call, the call's id in "call". Decode parses and validates one message;
// Encode validates and serialises one. A message that fails either gets an *Error carrying the
// protocol Code that the server sends back in an "error" message; the connection stays up.
//
// A session, from a client's point of view:
//
//	server → client  challenge {nonce}
//	client → server  hello     {role, token | device + sig}
//	server → client  welcome   {config}            (or error, then close)
//	caller → server  invite    {to}                 server answers ringing {call} or ended {call, reason}
//	server → callee  ring      {call, from}
//	callee → server  accept    {call} | decline {call}
//	server → caller  accepted  {call}
//	caller ↔ callee  offer / answer / candidate     relayed by the server, only inside an accepted call
//	callee → caller  restart   {call}               relayed too: the callee's network changed (its
//	                                                 address went); the caller restarts ICE now
//	either → server  connected {call}, hangup {call}
//	server → both    ended     {call, reason}
//	device → server  status    {battery, appVersion}  now and then; no answer (forbidden to others)
//
// Group calls (a call of the tablet and up to MaxFamilyInCall family members, plus guests) add:
//
//	server → family  live        {call, participants, canJoin}  a call of their patient is in progress
//	                                                              (participants empty: it is over)
//	family → server  join        {call}                          join the call in progress
//	server → joiner  joined      {call, participants}            everyone already in the call
//	any → server     add         {call, to}                      ring another contact into the call
//	server → ringee  ring        {call, from, participants}      (then accept / decline as usual;
//	                                                              accept is answered with joined)
//	server → others  participant {call, from, event, reason}     someone is ringing, joined, declined,
//	                                                              missed or left
//	newcomer ↔ each  offer / answer / candidate {call, peer}     one peer connection per pair; the
//	                                                              newcomer offers to everyone present
//
// In a group call, restart goes from either end of a pair to the one that offered it (peer).
//
// In offer, answer, candidate and restart, Peer names the other participant of that pair: the addressee
// from a client, the sender from the server. In a call of two it may be left empty by clients.
// A hangup leaves a group call; the call ends (ended to those still in it) when fewer than two
// participants are left, or only guests.
package signal

// MaxMessageSize is the largest message, in bytes, that either side accepts.
const MaxMessageSize = 64 << 10

// Limits on individual fields, checked by Validate.
const (
	maxIDLen        = 64
	maxSDPLen       = 48 << 10
	maxCandidateLen = 1024
	maxTextLen      = 512
	maxVersionLen   = 64
)

// Type names a message.
type Type string

// The message types. Direction is noted as C→S (client to server) or S→C.
const (
	TypeChallenge Type = "challenge" // S→C: a fresh nonce the device signs
	TypeHello     Type = "hello"     // C→S: authenticate as a role
	TypeWelcome   Type = "welcome"   // S→C: authenticated; carries the client's configuration
	TypeConfig    Type = "config"    // S→C: the configuration changed
	TypePresence  Type = "presence"  // S→C: a peer came online or went offline
	TypeInvite    Type = "invite"    // C→S: place a call
	TypeRinging   Type = "ringing"   // S→C: the callee is being rung; carries the new call id
	TypeRing      Type = "ring"      // S→C: an incoming call
	TypeAccept    Type = "accept"    // C→S: the callee answers
	TypeAccepted  Type = "accepted"  // S→C: the callee answered; the caller sends its offer
	TypeDecline   Type = "decline"   // C→S: the callee refuses
	TypeOffer     Type = "offer"     // both ways: SDP offer, relayed to the other end
	TypeAnswer    Type = "answer"    // both ways: SDP answer, relayed to the other end
	TypeCandidate Type = "candidate" // both ways: a trickled ICE candidate, relayed
	TypeConnected Type = "connected" // C→S: media is flowing on this end
	TypeHangup    Type = "hangup"    // C→S: end (or cancel, before it is answered) the call
	TypeEnded     Type = "ended"     // S→C: the call is over, with a Reason
	TypeError     Type = "error"     // S→C: a request failed, with a Code
	TypeStatus    Type = "status"    // C→S, device only: its battery level and app version
	TypeResume    Type = "resume"    // C→S: after reconnecting, the call this end is still in
	// TypeRestart asks the other end of a pair, the one that offered it, to restart ICE now:
	// the sender's network changed, so the media path is dead, and the sender may not offer
	// itself (two offers would cross). Both ways, relayed like an offer; it carries no SDP.
	TypeRestart Type = "restart"
	// TypePing asks the server to answer pong at once: the family page, which cannot send
	// WebSocket pings, checks with it that its connection still carries messages when a call's
	// media stops (a socket whose address went with a network change stays open for minutes).
	TypePing Type = "ping" // C→S
	TypePong Type = "pong" // S→C: the answer to ping

	TypeLive        Type = "live"        // S→C: a call of this page's patient is in progress, or over
	TypeJoin        Type = "join"        // C→S: join the call in progress
	TypeJoined      Type = "joined"      // S→C: you are in the call; here is who else is
	TypeAdd         Type = "add"         // C→S: ring another contact into this call
	TypeParticipant Type = "participant" // S→C: someone in (or rung into) the call changed
)

// MaxFamilyInCall is how many family members can be in one call with the tablet, and
// MaxGuestsInCall how many guests besides them.
const (
	MaxFamilyInCall = 5
	MaxGuestsInCall = 2
)

// Event is what happened to a participant, in a participant message.
type Event string

// The participant events.
const (
	EventRinging  Event = "ringing"  // rung into the call by someone in it
	EventJoined   Event = "joined"   // now in the call: the newcomer will send an offer
	EventDeclined Event = "declined" // refused to be added
	EventMissed   Event = "missed"   // did not answer being added
	EventLeft     Event = "left"     // left the call; Reason says how (hangup or failed)
)

// Valid reports whether e is one of the defined events.
func (e Event) Valid() bool {
	switch e {
	case EventRinging, EventJoined, EventDeclined, EventMissed, EventLeft:
		return true
	}
	return false
}

// Role is what a client authenticates as.
type Role string

// The roles.
const (
	RoleDevice Role = "device" // a bedside tablet, proven by its enrolled ed25519 key
	RoleFamily Role = "family" // a family page, proven by its link token
	RoleStaff  Role = "staff"  // the nurse console, proven by its session cookie
)

// Reason says why a call ended.
type Reason string

// The end reasons. Each ended call's log row carries one.
const (
	ReasonHangup    Reason = "hangup"    // answered, then one end hung up
	ReasonDeclined  Reason = "declined"  // the callee refused
	ReasonCancelled Reason = "cancelled" // the caller gave up before an answer
	ReasonMissed    Reason = "missed"    // nobody answered within the ring timeout
	ReasonFailed    Reason = "failed"    // media could not be set up, or a peer vanished
	ReasonOffline   Reason = "offline"   // the callee was not connected
	ReasonBusy      Reason = "busy"      // the callee was already in a call
	ReasonElsewhere Reason = "elsewhere" // answered or declined on another of the callee's screens
)

// Valid reports whether r is one of the defined reasons.
func (r Reason) Valid() bool {
	switch r {
	case ReasonHangup, ReasonDeclined, ReasonCancelled, ReasonMissed, ReasonFailed,
		ReasonOffline, ReasonBusy, ReasonElsewhere:
		return true
	}
	return false
}

// Message is one signaling message. Which fields are set depends on Type; Validate checks them.
type Message struct {
	Type Type   `json:"type"`
	Call string `json:"call,omitempty"`

	// challenge, hello
	Nonce  string `json:"nonce,omitempty"`
	Role   Role   `json:"role,omitempty"`
	Token  string `json:"token,omitempty"`
	Device string `json:"device,omitempty"`
	Sig    string `json:"sig,omitempty"`

	// welcome, config
	Config *Config `json:"config,omitempty"`

	// presence
	Peer   string `json:"peer,omitempty"`
	Online *bool  `json:"online,omitempty"`

	// invite, ring
	To   string `json:"to,omitempty"`
	From *Party `json:"from,omitempty"`

	// live, joined, ring (when rung into a call in progress): who is in the call, besides the
	// receiver. CanJoin, in live, says whether this page may join it.
	Participants []Party `json:"participants,omitempty"`
	CanJoin      bool    `json:"canJoin,omitempty"`

	// participant: what happened (From is who)
	Event Event `json:"event,omitempty"`

	// offer, answer, candidate, restart (Peer: the other participant of the pair, in group
	// calls)
	SDP       string     `json:"sdp,omitempty"`
	Candidate *Candidate `json:"candidate,omitempty"`

	// ended
	Reason Reason `json:"reason,omitempty"`

	// error
	Code    Code   `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// status: Battery is the charge in percent, 0 to 100, or BatteryUnknown; it is required.
	// AppVersion is the kiosk's version, at most 64 printable characters; empty keeps the
	// version the server knows.
	Battery    *int   `json:"battery,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`

	// resume: which end of the call the sender is (SideCaller or SideCallee), and, from a
	// device, the contact at the other end in To. A server that lost the call (it restarted)
	// takes it back from them.
	Side Side `json:"side,omitempty"`
}

// Side is an end of a call: the one that placed it, or the one that answered.
type Side string

// The sides of a call.
const (
	SideCaller Side = "caller"
	SideCallee Side = "callee"
)

// BatteryUnknown is the Battery of a device that cannot read its charge.
const BatteryUnknown = -1

// Party is one end of a call as shown to the other: a contact, or the patient's device.
type Party struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Relation   string `json:"relation,omitempty"`
	AutoAnswer bool   `json:"autoAnswer,omitempty"`
	// Guest marks a guest for one call (an interpreter, a chaplain): Name is theirs and Relation
	// their role, shown as "Guest · Interpreter".
	Guest bool `json:"guest,omitempty"`
}

// Candidate is a trickled ICE candidate, in the browser's RTCIceCandidateInit shape.
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// Config is what a client needs to know about its side of the ward, sent in welcome and config.
// A device gets its patient and contacts; a family page gets the patient and itself.
type Config struct {
	Ward       string      `json:"ward,omitempty"`
	Bed        string      `json:"bed,omitempty"`
	Patient    string      `json:"patient,omitempty"` // the patient's first name; empty when the bed is free
	Language   string      `json:"language,omitempty"`
	AutoAnswer bool        `json:"autoAnswer,omitempty"`
	Self       *Party      `json:"self,omitempty"`
	Contacts   []Contact   `json:"contacts,omitempty"`
	ICEServers []ICEServer `json:"iceServers,omitempty"`
	// DeviceOnline tells a family page whether the tablet can be called right now.
	DeviceOnline bool `json:"deviceOnline,omitempty"`
	// RingSeconds is how long a call rings before it is missed.
	RingSeconds int `json:"ringSeconds,omitempty"`
	// VisitingHours is free text about when the family may call, e.g. "09:00-20:00"; empty
	// means any time. Devices and family pages get it.
	VisitingHours string `json:"visitingHours,omitempty"`
	// NursePINHash is the argon2id hash (PHC string) of the ward's tablet PIN (6 to 12 digits),
	// which unlocks the tablet's staff screens; empty while the ward has none, and then the
	// screens stay locked. Only devices get it.
	NursePINHash string `json:"nursePinHash,omitempty"`
	// GroupCalls says whether the patient's calls may hold more than two: the tablet may add
	// contacts to a call, and family members allowed to may join one in progress.
	GroupCalls bool `json:"groupCalls,omitempty"`
	// MayJoin, for a family page, says whether this contact may join calls others started (and
	// ask to add someone); for a guest page it is always true.
	MayJoin bool `json:"mayJoin,omitempty"`
}

// Contact is a family contact as a device sees it.
type Contact struct {
	Party
	Online bool   `json:"online"`
	Photo  string `json:"photo,omitempty"` // content hash of the photo, fetched separately
}

// ICEServer is a STUN or TURN server, in the browser's RTCIceServer shape.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// HelloPayload is what a device signs with its ed25519 key to answer a challenge. The signature
// travels base64-encoded (standard alphabet, padded) in hello's Sig.
func HelloPayload(nonce string) []byte {
	return []byte("bedside-device-hello:" + nonce)
}

// DevicePeer is the Peer of presence messages that a family page gets about the tablet.
const DevicePeer = "device"

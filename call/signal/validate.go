package signal

// Validate checks that m has the fields its type needs, in the right shape and size.
func (m *Message) Validate() error {
	if m.Type == "" {
		return Errorf(CodeBadMessage, "message has no type")
	}
	if m.Call != "" && !validID(m.Call) {
		return Errorf(CodeBadMessage, "malformed call id")
	}
	if len(m.Message) > maxTextLen {
		return Errorf(CodeBadMessage, "message text too long")
	}
	switch m.Type {
	case TypeChallenge:
		return need(m.Nonce != "" && len(m.Nonce) <= maxTextLen, "challenge needs a nonce")
	case TypeHello:
		return m.validateHello()
	case TypeWelcome, TypeConfig:
		return need(m.Config != nil, "%s needs a config", m.Type)
	case TypePresence:
		return need(validID(m.Peer) && m.Online != nil, "presence needs a peer and online")
	case TypeInvite:
		return need(m.To == "" || validID(m.To), "malformed invite target")
	case TypeHangup:
		return need(m.Call != "" && (m.Reason == "" || m.Reason == ReasonFailed),
			"hangup needs a call id, and no reason but failed")
	case TypeResume:
		return need(m.Call != "" && (m.Side == SideCaller || m.Side == SideCallee) && (m.To == "" || validID(m.To)),
			"resume needs a call id and a side (caller or callee)")
	case TypeRinging, TypeAccept, TypeAccepted, TypeDecline, TypeConnected:
		return need(m.Call != "", "%s needs a call id", m.Type)
	case TypeRing:
		return need(m.Call != "" && m.From != nil && validID(m.From.ID) && validParties(m.Participants),
			"ring needs a call and a caller")
	case TypeLive:
		return need(m.Call != "" && validParties(m.Participants), "live needs a call")
	case TypeJoin:
		return need(m.Call != "", "join needs a call id")
	case TypeJoined:
		return need(m.Call != "" && validParties(m.Participants), "joined needs a call and its participants")
	case TypeAdd:
		return need(m.Call != "" && validID(m.To), "add needs a call and a contact to ring")
	case TypeParticipant:
		return need(m.Call != "" && m.From != nil && validID(m.From.ID) && m.Event.Valid() &&
			(m.Reason == "" || m.Reason.Valid()), "participant needs a call, who, and a known event")
	case TypeOffer, TypeAnswer:
		return need(m.Call != "" && (m.Peer == "" || validID(m.Peer)) && m.SDP != "" && len(m.SDP) <= maxSDPLen, "%s needs a call and an SDP of at most %d bytes", m.Type, maxSDPLen)
	case TypeCandidate:
		return need(m.Call != "" && (m.Peer == "" || validID(m.Peer)) && m.Candidate != nil && len(m.Candidate.Candidate) <= maxCandidateLen &&
			(m.Candidate.SDPMid == nil || len(*m.Candidate.SDPMid) <= maxIDLen),
			"candidate needs a call and a candidate of at most %d bytes", maxCandidateLen)
	case TypeRestart:
		return need(m.Call != "" && (m.Peer == "" || validID(m.Peer)) && m.SDP == "" && m.Candidate == nil,
			"restart needs a call id, and carries no SDP or candidate")
	case TypeEnded:
		return need(m.Call != "" && m.Reason.Valid(), "ended needs a call and a known reason")
	case TypeError:
		return need(m.Code != "", "error needs a code")
	case TypePing, TypePong:
		return nil
	case TypeStatus:
		return need(m.Battery != nil && *m.Battery >= BatteryUnknown && *m.Battery <= 100 && validVersion(m.AppVersion),
			"status needs a battery from -1 to 100 and an app version of at most %d printable characters", maxVersionLen)
	}
	return Errorf(CodeUnknownType, "unknown message type")
}

func (m *Message) validateHello() error {
	switch m.Role {
	case RoleFamily:
		return need(m.Token != "" && len(m.Token) <= maxTextLen, "family hello needs a token")
	case RoleDevice:
		return need(validID(m.Device) && m.Sig != "" && len(m.Sig) <= maxTextLen, "device hello needs a device id and a signature")
	case RoleStaff:
		return nil // staff are authenticated by their session cookie
	}
	return Errorf(CodeBadMessage, "hello needs a known role")
}

// validParties reports whether every party has a well-formed id and bounded text.
func validParties(ps []Party) bool {
	if len(ps) > MaxFamilyInCall+MaxGuestsInCall+1 {
		return false
	}
	for _, p := range ps {
		if !validID(p.ID) || len(p.Name) > maxTextLen || len(p.Relation) > maxTextLen {
			return false
		}
	}
	return true
}

func need(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return Errorf(CodeBadMessage, format, args...)
}

// validID reports whether s is a well-formed id: 1 to 64 characters of [A-Za-z0-9_-].
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validVersion reports whether s is an acceptable app version: at most maxVersionLen
// printable ASCII characters (empty is fine).
func validVersion(s string) bool {
	if len(s) > maxVersionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ValidID reports whether s is a well-formed call, device, contact or peer id.
func ValidID(s string) bool { return validID(s) }

package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Decode parses and validates one message. Any failure is an *Error whose Code says what was
// wrong (CodeTooLarge, CodeBadMessage, CodeUnknownType).
func Decode(data []byte) (Message, error) {
	var m Message
	if len(data) > MaxMessageSize {
		return m, Errorf(CodeTooLarge, "message of %d bytes is over the %d byte limit", len(data), MaxMessageSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Message{}, Errorf(CodeBadMessage, "not a JSON message object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Message{}, Errorf(CodeBadMessage, "trailing data after the message")
	}
	if err := m.Validate(); err != nil {
		// Keep the type and call so that the error reply can name the call.
		return Message{Type: m.Type, Call: safeID(m.Call)}, err
	}
	return m, nil
}

// Encode validates m and returns its JSON form.
func Encode(m Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, Errorf(CodeInternal, "encode %s: %v", m.Type, err)
	}
	if len(data) > MaxMessageSize {
		return nil, Errorf(CodeTooLarge, "%s message of %d bytes is over the limit", m.Type, len(data))
	}
	return data, nil
}

// safeID returns id when it is a well-formed id, and "" otherwise, so that error replies never
// echo arbitrary input.
func safeID(id string) string {
	if validID(id) {
		return id
	}
	return ""
}

package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"bedside/server/store"
)

// linkTokenBytes is the randomness of a family link token: 128 bits.
const linkTokenBytes = 16

// LinkOptions are the optional inputs of NewFamilyLink.
type LinkOptions struct {
	Now  func() time.Time // time.Now when nil
	Rand io.Reader        // crypto/rand when nil
}

// NewFamilyLink creates a family link for the contact that expires after ttl (which must be
// positive) and returns its token: 128 random bits, base64url. Only the token's
// SHA-256 is stored; the token is the last path element of the family URL (/j/{token}).
func NewFamilyLink(ctx context.Context, st store.Store, contactID string, ttl time.Duration, opts LinkOptions) (string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if ttl <= 0 {
		return "", fmt.Errorf("server: new family link: %w: ttl must be positive", ErrBadRequest)
	}
	b := make([]byte, linkTokenBytes)
	if _, err := io.ReadFull(opts.Rand, b); err != nil {
		return "", fmt.Errorf("server: new family link: random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := opts.Now()
	l := store.Link{ContactID: contactID, TokenHash: hashToken(token), Created: now, Expires: now.Add(ttl)}
	if _, err := st.CreateLink(ctx, l); err != nil {
		return "", fmt.Errorf("server: new family link: %w", err)
	}
	return token, nil
}

// NewFamilyLink creates a family link with the server's clock and randomness.
func (s *Server) NewFamilyLink(ctx context.Context, contactID string, ttl time.Duration) (string, error) {
	return NewFamilyLink(ctx, s.cfg.Store, contactID, ttl, LinkOptions{Now: s.cfg.Now, Rand: s.cfg.Rand})
}

// FamilyURL is the address of the family page for token under baseURL.
func FamilyURL(baseURL, token string) string {
	for len(baseURL) > 0 && baseURL[len(baseURL)-1] == '/' {
		baseURL = baseURL[:len(baseURL)-1]
	}
	return baseURL + "/j/" + token
}

package server

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server/store"
)

// photoClockSkew is how far a tablet's signed photo request may be from the server's time.
const photoClockSkew = 5 * time.Minute

// servePhoto serves a contact photo by its content hash to someone allowed to see its
// patient: the tablet of the patient's bed (a request signed with its enrolled key, see
// provisioning.PhotoAuthorization) or a family page with a working link of the patient
// ("Authorization: Bearer <link token>"). Staff see photos through the console. A discharged
// patient's photos are served to no one. Without a credential the answer is 401; with one
// that does not reach this photo, 404, as for a photo that does not exist.
func (s *Server) servePhoto(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if !isHexHash(hash) {
		httpError(w, ErrNotFound)
		return
	}
	ctx := r.Context()
	allowed, err := s.photoAllowed(ctx, r, hash)
	if err != nil {
		if codeOf(err) == signal.CodeInternal {
			s.log.Error("photo access", "err", err)
		}
		httpError(w, err)
		return
	}
	if !allowed {
		httpError(w, ErrNotFound)
		return
	}
	ct, data, err := s.cfg.Store.Photo(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		err = ErrNotFound
	}
	if err != nil {
		httpError(w, err)
		return
	}
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+hash+`"`)
	w.Header().Set("Vary", "Authorization")
	if r.Header.Get("If-None-Match") == `"`+hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(data)
}

// photoAllowed checks the request's credential and whether it reaches photo hash: the
// patient it belongs to must be admitted, and be the tablet's or the link's patient.
func (s *Server) photoAllowed(ctx context.Context, r *http.Request, hash string) (bool, error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	var patientOK func(store.Patient) bool
	switch {
	case scheme == provisioning.PhotoAuthScheme:
		d, err := s.photoDevice(ctx, cred, hash)
		if err != nil {
			return false, err
		}
		patientOK = func(p store.Patient) bool { return d.BedID != "" && p.BedID == d.BedID }
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		patientID := ""
		if a, err := s.familyLink(ctx, hashToken(cred)); err == nil {
			patientID = a.patient.ID
		} else if g, err := s.guestLink(ctx, hashToken(cred)); err == nil {
			patientID = g.patient.ID // a guest sees the photos of the others in the call
		} else {
			return false, fmt.Errorf("%w: no working link", ErrUnauthorized)
		}
		patientOK = func(p store.Patient) bool { return p.ID == patientID }
	default:
		return false, fmt.Errorf("%w: a photo needs a tablet's or a family link's credential", ErrUnauthorized)
	}
	ps, err := s.cfg.Store.PhotoPatients(ctx, hash)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Discharged.IsZero() && patientOK(p) {
			return true, nil
		}
	}
	return false, nil
}

// photoDevice checks a tablet's signed photo request, "<device id>.<unix seconds>.<signature>",
// and returns the tablet.
func (s *Server) photoDevice(ctx context.Context, cred, hash string) (store.Device, error) {
	bad := fmt.Errorf("%w: bad tablet signature", ErrUnauthorized)
	parts := strings.Split(cred, ".")
	if len(parts) != 3 || len(cred) > 300 {
		return store.Device{}, bad
	}
	ts, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return store.Device{}, bad
	}
	if skew := s.cfg.Now().Sub(time.Unix(ts, 0)); skew > photoClockSkew || skew < -photoClockSkew {
		return store.Device{}, fmt.Errorf("%w: the tablet's clock is off", ErrUnauthorized)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return store.Device{}, bad
	}
	d, err := s.cfg.Store.Device(ctx, parts[0])
	if errors.Is(err, store.ErrNotFound) {
		return store.Device{}, bad
	} else if err != nil {
		return store.Device{}, err
	}
	if len(d.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(d.PublicKey, provisioning.PhotoAuthPayload(d.ID, hash, ts), sig) {
		return store.Device{}, bad
	}
	if d.Revoked {
		return store.Device{}, bad
	}
	return d, nil
}

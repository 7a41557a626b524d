package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server/store"
)

// maxBody bounds every request body the server reads.
const maxBody = 16 << 10

// csp is the Content-Security-Policy of every response. connect-src 'self' covers same-origin
// ws: and wss: in current browsers.
const csp = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler returns the server's HTTP handler: the API, the WebSocket and the family page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+signal.Path, s.serveWS)
	mux.HandleFunc("POST "+signal.EnrollPath, s.serveEnroll)
	mux.HandleFunc("GET /api/photos/{hash}", s.servePhoto)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /j/{token}", s.serveFamilyPage)
	mux.HandleFunc("GET /static/{file}", s.serveStatic)
	return s.logRequests(securityHeaders(mux))
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(self), microphone=(self)")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.ContentLength > maxBody {
			httpError(w, signal.Errorf(signal.CodeTooLarge, "request body too large"))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status of a response for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (and the WebSocket upgrade) reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs every request but the probes (/healthz, /readyz: a load balancer's come
// every few seconds; serveReady logs changes of readiness instead), with family link tokens
// redacted from the path and never the query string.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.Info("http", slog.String("method", r.Method), slog.String("path", redactPath(r.URL.Path)),
			slog.Int("status", status), slog.Duration("took", time.Since(start)), slog.String("ip", remoteIP(r)))
	})
}

// redactPath hides the secret part of a path: the token of /j/{token}.
func redactPath(p string) string {
	if strings.HasPrefix(p, "/j/") {
		return "/j/…"
	}
	if len(p) > 200 {
		return p[:200] + "…"
	}
	return p
}

// httpError writes err as a signal.HTTPError with the status its code maps to.
func httpError(w http.ResponseWriter, err error) {
	pe := protocolError(err)
	writeJSON(w, statusOf(pe.Code), signal.HTTPError{Code: pe.Code, Message: pe.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// serveEnroll trades an enrollment token or short code and a public key for a device id.
func (s *Server) serveEnroll(w http.ResponseWriter, r *http.Request) {
	if !s.enrollLimit.allow(remoteIP(r)) {
		httpError(w, ErrRateLimited)
		return
	}
	// The body is small: a client that trickles it is cut off.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(10 * time.Second))
	var req signal.EnrollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, signal.Errorf(signal.CodeTooLarge, "request body too large"))
			return
		}
		httpError(w, signal.Errorf(signal.CodeBadMessage, "request is not JSON"))
		return
	}
	key, err := base64.StdEncoding.DecodeString(req.PublicKey)
	switch {
	case err != nil || len(key) != 32:
		httpError(w, signal.Errorf(signal.CodeBadMessage, "publicKey must be a base64 ed25519 public key"))
		return
	case req.Code == "" || len(req.Code) > 128:
		httpError(w, signal.Errorf(signal.CodeBadMessage, "code is missing or too long"))
		return
	case len(req.Name) > 64 || len(req.AppVersion) > 64:
		httpError(w, signal.Errorf(signal.CodeBadMessage, "name or appVersion too long"))
		return
	}
	ctx := r.Context()
	st := s.cfg.Store
	// One transaction: a refused pairing leaves no device behind and its token unused.
	e, d, err := st.Enroll(ctx, provisioning.HashSecret(req.Code), provisioning.KeyFingerprint(key), s.cfg.Now(),
		store.Device{PublicKey: key, Name: req.Name, AppVersion: req.AppVersion, Battery: -1})
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = ErrEnrollInvalid
	case errors.Is(err, store.ErrExpired):
		err = ErrEnrollExpired
	case errors.Is(err, store.ErrUsed):
		err = ErrEnrollUsed
	case errors.Is(err, store.ErrConflict):
		// Another live tablet holds this key (a tablet pairing again without revoking).
		err = signal.Errorf(signal.CodeForbidden, "this tablet's key is already paired; revoke the old pairing first")
	}
	if err != nil {
		if codeOf(err) == signal.CodeInternal {
			s.log.Error("enroll", "ip", remoteIP(r), "err", err)
		} else {
			s.log.Info("enrollment refused", "ip", remoteIP(r), "code", codeOf(err))
		}
		httpError(w, err)
		return
	}
	resp := signal.EnrollResponse{Device: d.ID}
	if ward, err := st.Ward(ctx, e.WardID); err == nil {
		resp.Ward = ward.Name
	}
	if e.BedID != "" {
		if bed, err := st.Bed(ctx, e.BedID); err == nil {
			resp.Bed = bed.Name
		}
	}
	s.log.Info("device enrolled", "device", d.ID, "ward", e.WardID, "bed", e.BedID)
	writeJSON(w, http.StatusOK, resp)
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// serveFamilyPage serves the family page; the same page for every token (its script reads the
// token from the address and sends it in hello).
func (s *Server) serveFamilyPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.serveWebFile(w, r, "family.html")
}

// serveStatic serves the family page's scripts, styles and images.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	s.serveWebFile(w, r, r.PathValue("file"))
}

func (s *Server) serveWebFile(w http.ResponseWriter, r *http.Request, name string) {
	if s.cfg.Web == nil || !fs.ValidPath(name) || strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
		httpError(w, ErrNotFound)
		return
	}
	data, err := fs.ReadFile(s.cfg.Web, name)
	if err != nil {
		httpError(w, ErrNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}

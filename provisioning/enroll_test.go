package provisioning

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"bedside/call/signal"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// enrollServer is a small real enrollment endpoint: it answers by the code it receives.
type enrollServer struct {
	mu   sync.Mutex
	reqs []signal.EnrollRequest
}

const (
	codeOK      = "ABCDEFGH"
	codeExpired = "EXPXXXXX"
	codeUsed    = "USEDXXXX"
	codeLimited = "RATEXXXX"
	codeBroken  = "BRKNXXXX"
	codeHTML    = "HTMXXXXX"
	codeBadJSON = "BADJXXXX"
	code429     = "TMRXXXXX"
)

func (s *enrollServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != signal.EnrollPath {
		http.NotFound(w, r)
		return
	}
	var req signal.EnrollRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, signal.CodeBadMessage)
		return
	}
	pub, err := base64.StdEncoding.DecodeString(req.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		writeErr(w, http.StatusBadRequest, signal.CodeBadMessage)
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	switch req.Code {
	case codeOK, testToken:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(signal.EnrollResponse{Device: "dev_7", Ward: "Ward 3", Bed: "12"})
	case codeExpired:
		writeErr(w, http.StatusGone, signal.CodeEnrollExpired)
	case codeUsed:
		writeErr(w, http.StatusConflict, signal.CodeEnrollUsed)
	case codeLimited:
		writeErr(w, http.StatusTooManyRequests, signal.CodeRateLimited)
	case code429:
		w.WriteHeader(http.StatusTooManyRequests)
	case codeBroken:
		writeErr(w, http.StatusInternalServerError, signal.CodeInternal)
	case codeHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>proxy error</html>")
	case codeBadJSON:
		_, _ = io.WriteString(w, `{"device": "not a valid id!"}`)
	default:
		writeErr(w, http.StatusNotFound, signal.CodeEnrollInvalid)
	}
}

func writeErr(w http.ResponseWriter, status int, code signal.Code) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(signal.HTTPError{Code: code, Message: "test"})
}

func TestEnrollSuccess(t *testing.T) {
	es := &enrollServer{}
	srv := httptest.NewServer(es)
	defer srv.Close()
	dir := t.TempDir()
	id, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)

	resp, err := Enroll(context.Background(), srv.URL, "abcd-efgh", id, "Tablet 4", "1.0.0")
	require.NoError(t, err)
	assert.Equal(t, signal.EnrollResponse{Device: "dev_7", Ward: "Ward 3", Bed: "12"}, resp)
	assert.Equal(t, "dev_7", id.DeviceID())

	require.Len(t, es.reqs, 1)
	got := es.reqs[0]
	assert.Equal(t, codeOK, got.Code, "the code is sent normalized")
	assert.Equal(t, base64.StdEncoding.EncodeToString(id.PublicKey()), got.PublicKey)
	assert.Equal(t, "Tablet 4", got.Name)
	assert.Equal(t, "1.0.0", got.AppVersion)

	again, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Equal(t, "dev_7", again.DeviceID(), "the device id is persisted")
}

func TestEnrollErrors(t *testing.T) {
	srv := httptest.NewServer(&enrollServer{})
	defer srv.Close()
	id, err := LoadOrCreateIdentity(t.TempDir())
	require.NoError(t, err)

	cases := []struct {
		code string
		want error
	}{
		{"ZZZZZZZZ", ErrEnrollInvalid},
		{codeExpired, ErrEnrollExpired},
		{codeUsed, ErrEnrollUsed},
		{codeLimited, ErrRateLimited},
		{code429, ErrRateLimited},
		{codeBroken, ErrServer},
		{codeHTML, ErrServer},
		{codeBadJSON, ErrServer},
		{"XY", ErrEnrollInvalid}, // refused before asking the server
		{"ABCD-EFG0", ErrEnrollInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			_, err := Enroll(context.Background(), srv.URL, tc.code, id, "", "")
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), tc.code, "errors never carry the code")
			assert.Empty(t, id.DeviceID(), "no half-paired device")
		})
	}
}

func TestEnrollBadServer(t *testing.T) {
	id, err := LoadOrCreateIdentity(t.TempDir())
	require.NoError(t, err)
	for _, u := range []string{"", "ftp://127.0.0.1", "javascript:alert(1)", "127.0.0.1:80", "https://u:p@127.0.0.1", "file:///etc/passwd"} {
		_, err := Enroll(context.Background(), u, codeOK, id, "", "")
		assert.ErrorIs(t, err, ErrBadServerURL, u)
	}

	srv := httptest.NewServer(&enrollServer{})
	url := srv.URL
	srv.Close()
	_, err = Enroll(context.Background(), url, codeOK, id, "", "")
	assert.ErrorIs(t, err, ErrUnreachable)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv2 := httptest.NewServer(&enrollServer{})
	defer srv2.Close()
	_, err = Enroll(ctx, srv2.URL, codeOK, id, "", "")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, id.DeviceID())
}

func TestEnrollPinnedTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(&enrollServer{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected here
	srv.StartTLS()
	defer srv.Close()
	rightPin := CertificatePin(srv.Certificate().Raw)
	wrongPin := CertificatePin([]byte("another certificate"))

	t.Run("right pin", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		e, err := NewEnroller(ClientConfig{Pin: rightPin})
		require.NoError(t, err)
		resp, err := e.Enroll(context.Background(), srv.URL, codeOK, id, "", "")
		require.NoError(t, err)
		assert.Equal(t, "dev_7", resp.Device)
		assert.Equal(t, "dev_7", id.DeviceID())
	})
	t.Run("payload", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		text, err := EncodePayload(Payload{Server: srv.URL, Token: testToken, Pin: rightPin})
		require.NoError(t, err)
		p, err := ParsePayload(text)
		require.NoError(t, err)
		resp, err := EnrollPayload(context.Background(), p, id, "", "", nil)
		require.NoError(t, err)
		assert.Equal(t, "Ward 3", resp.Ward)
	})
	t.Run("wrong pin", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		e, err := NewEnroller(ClientConfig{Pin: wrongPin})
		require.NoError(t, err)
		_, err = e.Enroll(context.Background(), srv.URL, codeOK, id, "", "")
		require.ErrorIs(t, err, ErrPinMismatch)
		assert.Empty(t, id.DeviceID())
	})
	t.Run("no pin, unknown CA", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		_, err = Enroll(context.Background(), srv.URL, codeOK, id, "", "")
		require.ErrorIs(t, err, ErrUnreachable)
		assert.Empty(t, id.DeviceID())
	})
	t.Run("no pin, trusted CA", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		e, err := NewEnroller(ClientConfig{RootCAs: pool})
		require.NoError(t, err)
		_, err = e.Enroll(context.Background(), srv.URL, codeOK, id, "", "")
		require.NoError(t, err)
	})
	t.Run("pin needs https", func(t *testing.T) {
		id, err := LoadOrCreateIdentity(t.TempDir())
		require.NoError(t, err)
		e, err := NewEnroller(ClientConfig{Pin: rightPin})
		require.NoError(t, err)
		_, err = e.Enroll(context.Background(), "http://127.0.0.1:1", codeOK, id, "", "")
		require.ErrorIs(t, err, ErrBadServerURL)
	})
	t.Run("malformed pin", func(t *testing.T) {
		_, err := NewEnroller(ClientConfig{Pin: []byte{1, 2, 3}})
		require.ErrorIs(t, err, ErrPinMismatch)
	})
}

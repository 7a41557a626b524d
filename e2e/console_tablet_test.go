package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server/store"
)

// consoleTablet is a bare tablet on the signaling WebSocket: enough to be online, receive its
// configuration and be dropped.
type consoleTablet struct {
	t    *testing.T
	conn *websocket.Conn
}

// consoleConnectTablet enrolls a fresh identity with code and connects it, returning the
// tablet and its welcome configuration.
func consoleConnectTablet(t *testing.T, baseURL, code string) (*consoleTablet, *signal.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := provisioning.LoadOrCreateIdentity(t.TempDir())
	require.NoError(t, err)
	resp, err := provisioning.Enroll(ctx, baseURL, code, id, "Tab A9", "1.2.3")
	require.NoError(t, err)
	require.NoError(t, id.SetDeviceID(resp.Device))
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/ws", nil)
	require.NoError(t, err)
	conn.SetReadLimit(signal.MaxMessageSize)
	tab := &consoleTablet{t: t, conn: conn}
	t.Cleanup(func() { _ = conn.CloseNow() })
	ch := tab.read()
	require.Equal(t, signal.TypeChallenge, ch.Type)
	tab.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: resp.Device,
		Sig: base64.StdEncoding.EncodeToString(id.Sign(signal.HelloPayload(ch.Nonce)))})
	welcome := tab.read()
	require.Equal(t, signal.TypeWelcome, welcome.Type, welcome.Message)
	return tab, welcome.Config
}

func (c *consoleTablet) send(m signal.Message) {
	c.t.Helper()
	data, err := signal.Encode(m)
	require.NoError(c.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, data))
}

// read returns the next message; a closed connection is a zero message of type "".
func (c *consoleTablet) read() signal.Message {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		var ce websocket.CloseError
		require.True(c.t, errors.As(err, &ce), "read: %v", err)
		return signal.Message{}
	}
	m, err := signal.Decode(data)
	require.NoError(c.t, err)
	return m
}

// next skips presence messages and returns the first other one.
func (c *consoleTablet) next() signal.Message {
	for {
		m := c.read()
		if m.Type != signal.TypePresence {
			return m
		}
	}
}

// A tablet paired from the console's QR code shows online there; a discharge wipes it (its
// configuration loses the patient) and a revoke drops it.
func TestConsoleTabletLifecycle(t *testing.T) {
	w := newWard(t, withConsole)
	ctx := context.Background()
	ward, err := w.st.CreateWard(ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	bed, err := w.st.CreateBed(ctx, store.Bed{WardID: ward.ID, Name: "12"})
	require.NoError(t, err)
	_, err = w.st.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Maria", Language: "en"})
	require.NoError(t, err)

	b := newBrowser(t, desk)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, b, chromedp.Navigate(w.url+"/console/login"), chromedp.WaitVisible(css("#login-form")))
	logIn(t, b, "head.nurse", w.admin, "#wards")

	// The bed's pairing code, as the tablet would scan or type it.
	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#enroll")),
		chromedp.SetValue(css(`#enroll select[name="bed"]`), bed.ID),
		chromedp.Click(css("#enroll button")), chromedp.WaitVisible(css("#enroll-code")))
	tab, cfg := consoleConnectTablet(t, w.url, text(t, b, "#enroll-code"))
	assert.Equal(t, "Maria", cfg.Patient)
	assert.Equal(t, "12", cfg.Bed)

	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#tablets")))
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "Tab A9")
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "online")
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "1.2.3")
	pageShot(t, b, "console-tablet-online")

	// Discharge: the tablet's fresh configuration has no patient, which makes it wipe.
	do(t, b, chromedp.Navigate(w.url+"/console/beds/"+bed.ID), chromedp.WaitVisible(css("#discharge")),
		chromedp.Click(css("#discharge")), chromedp.WaitVisible(css("#confirm-discharge")),
		chromedp.Click(css("#confirm-discharge")), chromedp.WaitVisible(css("#admit-form")))
	m := tab.next()
	require.Equal(t, signal.TypeConfig, m.Type)
	assert.Empty(t, m.Config.Patient)
	assert.Empty(t, m.Config.Contacts)

	// Revoke: the tablet is dropped at once with "revoked", and shown so.
	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#tablets")))
	eval[bool](t, b, `(window.confirm = () => true, true)`)
	do(t, b, chromedp.Click(css("#tablets button")), chromedp.WaitVisible(css("#ok")))
	for {
		m = tab.next()
		if m.Type != signal.TypeConfig {
			break
		}
	}
	require.Equal(t, signal.TypeError, m.Type)
	assert.Equal(t, signal.CodeRevoked, m.Code)
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "revoked")
}

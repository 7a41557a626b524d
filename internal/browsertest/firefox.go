package browsertest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// FirefoxPath is the Firefox the tests run: Debian's ESR, which speaks WebDriver BiDi itself
// (no separate driver).
const FirefoxPath = "/usr/bin/firefox-esr"

// errBiDi is a command that the browser answered with an error.
var errBiDi = errors.New("webdriver bidi error")

// firefoxPrefs keep a test Firefox quiet and offline (no update checks, remote settings,
// telemetry or captive-portal probes), give it a fake camera and microphone without a prompt,
// and let pages play sound without a touch.
var firefoxPrefs = map[string]any{
	"media.navigator.streams.fake":                      true,
	"media.navigator.permission.disabled":               true,
	"media.autoplay.default":                            0,
	"media.autoplay.blocking_policy":                    0,
	"services.settings.server":                          "data:,#remote-settings-dummy/v1",
	"app.normandy.enabled":                              false,
	"app.update.disabledForTesting":                     true,
	"browser.shell.checkDefaultBrowser":                 false,
	"browser.startup.homepage_override.mstone":          "ignore",
	"browser.region.network.url":                        "",
	"browser.safebrowsing.malware.enabled":              false,
	"browser.safebrowsing.phishing.enabled":             false,
	"browser.safebrowsing.downloads.enabled":            false,
	"network.captive-portal-service.enabled":            false,
	"network.connectivity-service.enabled":              false,
	"datareporting.policy.dataSubmissionEnabled":        false,
	"toolkit.telemetry.enabled":                         false,
	"browser.newtabpage.enabled":                        false,
	"extensions.update.enabled":                         false,
	"browser.ping-centre.telemetry":                     false,
	"dom.webnotifications.enabled":                      true,
	"privacy.resistFingerprinting":                      false,
	"media.peerconnection.ice.loopback":                 true,
	"media.peerconnection.ice.no_host":                  false,
	"media.peerconnection.ice.obfuscate_host_addresses": false,
}

// Firefox is a headless Firefox ESR on a fresh profile, driven over WebDriver BiDi: one
// WebSocket, one command at a time, each answer read by the caller (events that arrive in
// between are kept as console lines). It implements Tab for its one tab.
type Firefox struct {
	tb      testing.TB
	cmd     *exec.Cmd
	conn    *websocket.Conn
	next    int
	context string // the tab's browsing context
	console []string
	errors  []string
	exited  chan struct{}
}

// StartFirefox starts Firefox with a fresh profile in tb.TempDir(), a fake camera and
// microphone, the language o.Lang and a window of o.Width x o.Height; it ends with the test.
func StartFirefox(tb testing.TB, o Options) *Firefox {
	tb.Helper()
	o = o.withDefaults()
	profile := tb.TempDir()
	prefs := map[string]any{}
	for k, v := range firefoxPrefs {
		prefs[k] = v
	}
	if o.Lang != "" {
		prefs["intl.accept_languages"] = o.Lang
	}
	if o.SecureOrigin != "" {
		prefs["dom.securecontext.allowlist"] = secureHost(o.SecureOrigin)
	}
	if o.HideHostAddresses {
		delete(prefs, "media.peerconnection.ice.obfuscate_host_addresses")
	}
	var js strings.Builder
	for k, v := range prefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&js, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(js.String()), 0o644); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	cmd := exec.Command(FirefoxPath, "--headless", "--no-remote", "--new-instance",
		"--profile", profile, "--remote-debugging-port", "0",
		"--width", fmt.Sprint(o.Width), "--height", fmt.Sprint(o.Height), "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "MOZ_CRASHREPORTER_DISABLE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dial := &websocket.DialOptions{}
	if o.NetNS != nil {
		if err := o.NetNS.wrap(cmd); err != nil {
			tb.Fatalf("browsertest: %v", err)
		}
		dial.HTTPClient = o.NetNS.httpClient()
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatalf("browsertest: starting %s: %v", FirefoxPath, err)
	}
	f := &Firefox{tb: tb, cmd: cmd, exited: make(chan struct{})}
	// The remote agent says where it listens on stderr; the rest of stderr is drained.
	addr := make(chan string, 1)
	go func() {
		listening := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(f.exited)
	}()
	tb.Cleanup(f.close)
	var url string
	select {
	case url = <-addr:
	case <-f.exited:
		tb.Fatalf("browsertest: %s exited before it listened", FirefoxPath)
	case <-time.After(Wait):
		tb.Fatalf("browsertest: %s did not say where it listens", FirefoxPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	f.conn, _, err = websocket.Dial(ctx, url+"/session", dial)
	if err != nil {
		tb.Fatalf("browsertest: connecting to firefox: %v", err)
	}
	f.conn.SetReadLimit(64 << 20) // screenshots
	f.call("session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	f.call("session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil)
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	f.call("browsingContext.getTree", map[string]any{}, &tree)
	if len(tree.Contexts) == 0 {
		tb.Fatal("browsertest: firefox has no tab")
	}
	f.context = tree.Contexts[0].Context
	f.Resize(o.Width, o.Height)
	tb.Cleanup(func() {
		if len(f.errors) > 0 {
			tb.Errorf("the page threw (firefox):\n%s", strings.Join(f.errors, "\n"))
		}
		if tb.Failed() || o.LogConsole {
			tb.Logf("page console (firefox):\n%s", strings.Join(f.console, "\n"))
		}
	})
	return f
}

func (f *Firefox) close() {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = f.send(ctx, "browser.close", map[string]any{})
		cancel()
		_ = f.conn.CloseNow()
	}
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-f.exited
	}
}

// send writes one command and returns its id.
func (f *Firefox) send(ctx context.Context, method string, params any) error {
	f.next++
	b, err := json.Marshal(map[string]any{"id": f.next, "method": method, "params": params})
	if err != nil {
		return err
	}
	return f.conn.Write(ctx, websocket.MessageText, b)
}

// call sends a command and reads until its answer, which it decodes into result (unless
// nil); it fails the test on an error.
func (f *Firefox) call(method string, params, result any) {
	f.tb.Helper()
	if err := f.do(method, params, result); err != nil {
		f.tb.Fatalf("browsertest: firefox %s: %v", method, err)
	}
}

func (f *Firefox) do(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	if err := f.send(ctx, method, params); err != nil {
		return err
	}
	id := f.next
	for {
		_, b, err := f.conn.Read(ctx)
		if err != nil {
			return err
		}
		var m struct {
			Type    string          `json:"type"`
			ID      int             `json:"id"`
			Method  string          `json:"method"`
			Params  json.RawMessage `json:"params"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		switch {
		case m.Type == "event":
			f.event(m.Method, m.Params)
		case m.ID != id:
			// An answer to a command that gave up waiting; nothing waits for it now.
		case m.Type == "error":
			return fmt.Errorf("%w: %s: %s", errBiDi, m.Error, m.Message)
		case result != nil:
			return json.Unmarshal(m.Result, result)
		default:
			return nil
		}
	}
}

// event keeps what the page wrote to its console, and its uncaught errors.
func (f *Firefox) event(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Type       string `json:"type"`
		Level      string `json:"level"`
		Text       string `json:"text"`
		StackTrace struct {
			CallFrames []struct {
				URL          string `json:"url"`
				FunctionName string `json:"functionName"`
				LineNumber   int    `json:"lineNumber"`
			} `json:"callFrames"`
		} `json:"stackTrace"`
	}
	if json.Unmarshal(params, &e) != nil {
		return
	}
	line := e.Level + ": " + e.Text
	for _, f := range e.StackTrace.CallFrames {
		line += fmt.Sprintf("\n\tat %s (%s:%d)", f.FunctionName, f.URL, f.LineNumber+1)
	}
	f.console = append(f.console, line)
	if e.Type == "javascript" && e.Level == "error" {
		f.errors = append(f.errors, line)
	}
}

// Name is "firefox".
func (f *Firefox) Name() string { return "firefox" }

// Navigate loads url and waits for it to load.
func (f *Firefox) Navigate(url string) {
	f.tb.Helper()
	f.call("browsingContext.navigate", map[string]any{"context": f.context, "url": url, "wait": "complete"}, nil)
}

// EvalJSON evaluates expr in the page, awaiting a promise, and returns its value as JSON
// ("null" for undefined).
func (f *Firefox) EvalJSON(expr string) []byte {
	f.tb.Helper()
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	wrapped := "(async () => { const v = await (" + expr + "\n); return v === undefined ? 'null' : JSON.stringify(v); })()"
	f.call("script.evaluate", map[string]any{
		"expression": wrapped, "target": map[string]any{"context": f.context},
		"awaitPromise": true, "userActivation": true,
	}, &r)
	if r.Type == "exception" {
		f.tb.Fatalf("browsertest: firefox evaluating %.60q: %s", expr, r.ExceptionDetails.Text)
	}
	return []byte(r.Result.Value)
}

// Exec runs a script in the page.
func (f *Firefox) Exec(script string) {
	f.tb.Helper()
	var r struct {
		Type             string `json:"type"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	f.call("script.evaluate", map[string]any{
		"expression": script, "target": map[string]any{"context": f.context}, "awaitPromise": false}, &r)
	if r.Type == "exception" {
		f.tb.Fatalf("browsertest: firefox running a script: %s", r.ExceptionDetails.Text)
	}
}

// Preload runs script in every page loaded from now on, before the page's own scripts.
func (f *Firefox) Preload(script string) {
	f.tb.Helper()
	f.call("script.addPreloadScript", map[string]any{"functionDeclaration": "() => {" + script + "\n}"}, nil)
}

// Resize sets the viewport to w x h CSS pixels.
func (f *Firefox) Resize(w, h int) {
	f.tb.Helper()
	f.call("browsingContext.setViewport", map[string]any{
		"context": f.context, "viewport": map[string]int{"width": w, "height": h}, "devicePixelRatio": 1}, nil)
}

// Screenshot is a PNG of the viewport.
func (f *Firefox) Screenshot() []byte {
	f.tb.Helper()
	var r struct {
		Data string `json:"data"`
	}
	f.call("browsingContext.captureScreenshot", map[string]any{"context": f.context}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		f.tb.Fatalf("browsertest: firefox screenshot: %v", err)
	}
	return png
}

// Click clicks the middle of the first element css selects, with the mouse, as a person
// would (what covers it gets the click).
func (f *Firefox) Click(css string) {
	f.tb.Helper()
	x, y := center(f.tb, f, css)
	f.call("input.performActions", map[string]any{"context": f.context, "actions": []any{map[string]any{
		"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
		"actions": []map[string]any{
			{"type": "pointerMove", "x": x, "y": y},
			{"type": "pointerDown", "button": 0},
			{"type": "pointerUp", "button": 0},
		},
	}}}, nil)
}

// SetPermission sets name ("camera", "microphone") to state ("granted", "denied", "prompt")
// for origin.
func (f *Firefox) SetPermission(name, state, origin string) {
	f.tb.Helper()
	f.call("permissions.setPermission", map[string]any{
		"descriptor": map[string]string{"name": name}, "state": state, "origin": origin}, nil)
}

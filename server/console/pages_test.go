package console_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/console"
	"bedside/server/store"
)

// Every page of a filled ward is CSP-clean (no inline script or style), carries the security
// headers, and speaks English or Italian without a missing string (a missing one shows as
// its dotted key).
func TestPagesAreCleanInBothLanguages(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	pw := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", pw)
	pages := []string{"/console/", "/console/wards/" + a.ward.ID, "/console/beds/" + a.bed.ID, "/console/beds/" + a.freeBed.ID,
		"/console/contacts/" + a.contact.ID, "/console/patients/" + a.patient.ID + "/discharge", "/console/audit",
		"/console/password", "/console/staff", "/console/nope"}
	keyLike := regexp.MustCompile(`>\s*[a-z]+\.[a-z.]+[a-z]\s*<`)
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<script>|\sstyle=|<style|\son[a-z]+=`)
	for _, lang := range []string{"en", "it"} {
		b.get("/console/lang?l=" + lang + "&next=/console/")
		for _, path := range pages {
			t.Run(lang+path, func(t *testing.T) {
				resp, err := b.hc.Get(e.srv.URL + path)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
				assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
				assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
				r := b.get(path)
				assert.Contains(t, r.body, `<html lang="`+lang+`">`)
				assert.Empty(t, inline.FindAllString(r.body, -1), "inline script or style")
				assert.Empty(t, keyLike.FindAllString(r.body, -1), "untranslated key")
			})
		}
		r := b.post("/console/contacts/"+a.contact.ID+"/links", url.Values{"days": {"7"}})
		require.Equal(t, http.StatusSeeOther, r.status)
		r = b.get(r.location)
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, `id="link-url"`)
		assert.Empty(t, inline.FindAllString(r.body, -1))
		assert.Empty(t, keyLike.FindAllString(r.body, -1))
	}
}

// Every translation key that the templates and the code use exists in both languages.
func TestTranslationsAreComplete(t *testing.T) {
	files := consoleFiles(t)
	used := map[string]bool{}
	keyRE := regexp.MustCompile(`\.T "([a-z0-9.\-]+)"`)
	require.NoError(t, fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".html") {
			return err
		}
		data, err := fs.ReadFile(files, path)
		for _, m := range keyRE.FindAllSubmatch(data, -1) {
			used[string(m[1])] = true
		}
		return err
	}))
	goKeys := regexp.MustCompile(`(?:bad|clash)\("([a-z]+)"\)|audit\(ctx, [a-z&{}:.]+, "([a-z\-]+)"|Action: "([a-z\-]+)"|redirect\(w, r, [^,]+, "([a-z]+)"\)|translate\([a-zA-Z.]+, "([a-z.]+)"`)
	sources, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, src := range sources {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		for _, m := range goKeys.FindAllSubmatch(data, -1) {
			switch {
			case len(m[1]) > 0:
				used["err."+string(m[1])] = true
			case len(m[2]) > 0:
				used["action."+string(m[2])] = true
			case len(m[3]) > 0:
				used["action."+string(m[3])] = true
			case len(m[4]) > 0:
				used["ok."+string(m[4])] = true
			case len(m[5]) > 0:
				used[string(m[5])] = true
			}
		}
	}
	for _, r := range []string{"hangup", "declined", "cancelled", "missed", "failed", "offline", "busy", "elsewhere"} {
		used["reason."+r] = true
	}
	require.Greater(t, len(used), 150)
	for key := range used {
		for _, lang := range []string{"en", "it"} {
			assert.True(t, console.HasTranslation(lang, key), "%s: %s", lang, key)
		}
	}
}

// The session cookie is HttpOnly, SameSite=Strict, Secure on TLS, and stored only hashed;
// the password only as argon2id.
func TestSessionCookieAndHashes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprint("secure=", secure), func(t *testing.T) {
			e := newEnv(t, func(c *console.Config) { c.Secure = secure })
			pw := e.user(t, "nurse", store.RoleAdmin)
			b := e.browser(t)
			b.get("/console/login")
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/console/login",
				strings.NewReader(url.Values{"name": {"nurse"}, "password": {pw}}.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := b.hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			cookies := resp.Cookies()
			require.Len(t, cookies, 2, "the session, and the device cookie of a known browser")
			for _, ck := range cookies {
				assert.True(t, ck.HttpOnly, ck.Name)
				assert.Equal(t, http.SameSiteStrictMode, ck.SameSite, ck.Name)
				assert.Equal(t, secure, ck.Secure, ck.Name)
				assert.Equal(t, "/console/", ck.Path, ck.Name)
			}
			ck := cookies[0]
			require.Equal(t, "bedside_console", ck.Name)
			assert.True(t, ck.HttpOnly)
			assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
			assert.Equal(t, secure, ck.Secure)
			assert.Equal(t, "/console/", ck.Path)
			assert.GreaterOrEqual(t, len(ck.Value), 43, "256 bits")

			sum := sha256.Sum256([]byte(ck.Value))
			se, err := e.st.Session(context.Background(), sum[:])
			require.NoError(t, err)
			_, err = e.st.Session(context.Background(), []byte(ck.Value))
			assert.ErrorIs(t, err, store.ErrNotFound)
			assert.NotEmpty(t, se.CSRF)
			s, err := e.st.StaffByName(context.Background(), "nurse")
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(s.PasswordHash), "$argon2id$v=19$m=19456,t=2,p=1$"))
			assert.NotContains(t, string(s.PasswordHash), pw)
		})
	}
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t, nil)
	old := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", old)
	pw, err := console.SetPassword(e.ctx, e.st, "ADMIN", strings.NewReader(strings.Repeat("0123456789abcdef", 8)))
	require.NoError(t, err)
	assert.NotEqual(t, old, pw)
	assert.Equal(t, http.StatusSeeOther, b.get("/console/").status, "logged out everywhere")
	b2 := e.browser(t)
	b2.login("admin", pw)
	_, err = console.SetPassword(e.ctx, e.st, "nobody", strings.NewReader(strings.Repeat("x", 100)))
	assert.ErrorIs(t, err, console.ErrBadInput)
}

func TestAddUserRefusals(t *testing.T) {
	e := newEnv(t, nil)
	w, err := e.st.CreateWard(e.ctx, store.Ward{Name: "Ward 3"})
	require.NoError(t, err)
	rnd := strings.NewReader(strings.Repeat("0123456789abcdef", 100))
	_, err = console.AddUser(e.ctx, e.st, "anna", store.RoleNurse, []string{"ward 3"}, rnd)
	require.NoError(t, err, "ward by name, whatever its case")
	s, err := e.st.StaffByName(e.ctx, "anna")
	require.NoError(t, err)
	assert.Equal(t, []string{w.ID}, s.WardIDs)
	for name, add := range map[string]func() error{
		"taken":   func() error { _, err := console.AddUser(e.ctx, e.st, "Anna", store.RoleAdmin, nil, rnd); return err },
		"no ward": func() error { _, err := console.AddUser(e.ctx, e.st, "bea", store.RoleNurse, nil, rnd); return err },
		"bad ward": func() error {
			_, err := console.AddUser(e.ctx, e.st, "bea", store.RoleNurse, []string{"Ward 9"}, rnd)
			return err
		},
		"bad role": func() error { _, err := console.AddUser(e.ctx, e.st, "bea", "doctor", nil, rnd); return err },
		"bad name": func() error {
			_, err := console.AddUser(e.ctx, e.st, "bea smith", store.RoleAdmin, nil, rnd)
			return err
		},
		"empty name": func() error { _, err := console.AddUser(e.ctx, e.st, "", store.RoleAdmin, nil, rnd); return err },
		"long name": func() error {
			_, err := console.AddUser(e.ctx, e.st, strings.Repeat("a", 65), store.RoleAdmin, nil, rnd)
			return err
		},
		"broken rand": func() error {
			_, err := console.AddUser(e.ctx, e.st, "bea", store.RoleAdmin, nil, strings.NewReader(""))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Error(t, add())
		})
	}
}

package assets

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readWeb(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(Web, "web/"+name)
	require.NoError(t, err)
	return string(b)
}

// The page must run under the server's strict CSP: nothing inline, nothing from elsewhere.
func TestFamilyPageFitsCSP(t *testing.T) {
	html := readWeb(t, "family.html")
	assert.NotRegexp(t, `(?i)<script(?:[^>]*)>[^<]+</script>`, html, "inline script")
	assert.NotRegexp(t, `(?i)\sstyle\s*=`, html, "style attribute")
	assert.NotRegexp(t, `(?i)<style`, html, "style element")
	assert.NotRegexp(t, `(?i)\son[a-z]+\s*=`, html, "inline event handler")
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*"(https?:)?//`, html, "external resource")

	for _, m := range regexp.MustCompile(`"/static/([^"]+)"`).FindAllStringSubmatch(html+readWeb(t, "family.css"), -1) {
		_, err := fs.Stat(Web, "web/"+m[1])
		assert.NoError(t, err, "referenced file %s", m[1])
	}
}

func TestFamilyPageTestHooks(t *testing.T) {
	html := readWeb(t, "family.html")
	for _, id := range []string{"call", "answer", "decline", "hangup", "mute", "camera", "join", "add"} {
		assert.Equal(t, 1, strings.Count(html, `data-testid="`+id+`"`), "data-testid %s exactly once", id)
	}
	assert.Contains(t, html, `<body data-state="idle"`)
}

// Every module the page imports is embedded.
func TestFamilyPageModules(t *testing.T) {
	entries, err := fs.ReadDir(Web, "web")
	require.NoError(t, err)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".js") {
			continue
		}
		src := readWeb(t, e.Name())
		for _, m := range regexp.MustCompile(`from '\./([^']+)'`).FindAllStringSubmatch(src, -1) {
			_, err := fs.Stat(Web, "web/"+m[1])
			assert.NoError(t, err, "%s imports %s", e.Name(), m[1])
		}
	}
}

// Both languages have every string, and nothing else.
func TestFamilyPageDictionaries(t *testing.T) {
	src := readWeb(t, "i18n.js")
	keys := func(lang string) map[string]bool {
		start := strings.Index(src, "const "+lang+" = {")
		require.GreaterOrEqual(t, start, 0, lang)
		end := strings.Index(src[start:], "\n};")
		require.Greater(t, end, 0, lang)
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^  (\w+):`).FindAllStringSubmatch(src[start:start+end], -1) {
			out[m[1]] = true
		}
		return out
	}
	en, it := keys("en"), keys("it")
	assert.Greater(t, len(en), 40)
	assert.Equal(t, en, it)

	// Every key the scripts ask for by name exists: t('key'), and the message keys.
	used := regexp.MustCompile(`\bt\('(\w+)'|'(\w+(?:Title|Text|Short))'`)
	for _, f := range []string{"family.js", "view.js", "media.js", "group.js", "groupview.js", "grid.js"} {
		for _, m := range used.FindAllStringSubmatch(readWeb(t, f), -1) {
			key := m[1] + m[2]
			assert.True(t, en[key], "%s uses unknown key %s", f, key)
		}
	}
}

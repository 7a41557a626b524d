package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/assets"
)

// TestTranslationsComplete checks that English and Italian have the same keys, that every key
// the code asks for exists, and that no translation is left empty.
func TestTranslationsComplete(t *testing.T) {
	load := func(lang string) map[string]string {
		data, err := assets.Translations.ReadFile("translations/" + lang + ".json")
		require.NoError(t, err)
		m := map[string]string{}
		require.NoError(t, json.Unmarshal(data, &m))
		return m
	}
	en, it := load("en"), load("it")
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, keys(en), keys(it), "en.json and it.json have the same keys")
	for k, v := range it {
		assert.NotEmpty(t, v, "it: %s", k)
		assert.NotEmpty(t, en[k], "en: %s", k)
	}

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := regexp.MustCompile(`\bT\("([a-z0-9.]+)"[,)]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			_, ok := en[m[1]]
			assert.True(t, ok, "%s asks for %q", f, m[1])
		}
	}
	// Keys built at run time.
	for _, k := range []string{"day.0", "day.6", "month.1", "month.12", "lang.en", "lang.it",
		"ended.hangup", "ended.declined", "ended.cancelled", "ended.missed", "ended.failed",
		"ended.offline", "ended.busy", "ended.elsewhere", "home.morning", "home.afternoon", "home.evening"} {
		_, ok := en[k]
		assert.True(t, ok, k)
	}
}

func TestTranslatorLanguagesAndDates(t *testing.T) {
	day := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // a Monday morning
	en, it := newTranslator("en"), newTranslator("it-IT")
	assert.Equal(t, "it", it.lang)
	assert.Equal(t, "Monday 2 March 2026", en.date(day))
	assert.Equal(t, "Lunedì 2 marzo 2026", it.date(day))
	assert.Equal(t, "Good morning, Maria", en.greeting(day, "Maria"))
	assert.Equal(t, "Buonasera, Maria", it.greeting(day.Add(12*time.Hour), "Maria"))
	assert.Equal(t, "Hello", en.greeting(day, ""))
	assert.Equal(t, "en", newTranslator("fr").lang, "unknown languages fall back to English")
	assert.Equal(t, "no.such.key", en.T("no.such.key"))
}

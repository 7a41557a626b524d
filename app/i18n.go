package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"bedside/assets"
)

// Languages lists the languages the kiosk speaks, as language codes.
var Languages = []string{"en", "it"}

var registerOnce sync.Once

// registerTranslations hands the kiosk's strings to Fyne's lang package, so that lang.L and
// Fyne's own widgets know them for the system locale. The kiosk's screens use a translator
// for the patient's language, which may differ from the system's.
func registerTranslations() {
	registerOnce.Do(func() {
		_ = lang.AddTranslationsFS(assets.Translations, "translations")
	})
}

// translator looks up the kiosk's strings in one language, with English as the fallback.
type translator struct {
	lang string
	loc  *i18n.Localizer
}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error
)

func loadBundle() (*i18n.Bundle, error) {
	bundleOnce.Do(func() {
		bundle = i18n.NewBundle(language.English)
		bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
		files, err := fs.Glob(assets.Translations, "translations/*.json")
		if err != nil {
			bundleErr = err
			return
		}
		for _, f := range files {
			data, err := fs.ReadFile(assets.Translations, f)
			if err != nil {
				bundleErr = err
				return
			}
			if _, err := bundle.ParseMessageFileBytes(data, f); err != nil {
				bundleErr = fmt.Errorf("app: translations %s: %w", f, err)
				return
			}
		}
	})
	return bundle, bundleErr
}

// newTranslator returns a translator for code ("en", "it", "it-IT"); unknown codes get English.
func newTranslator(code string) *translator {
	code = normalizeLang(code)
	b, err := loadBundle()
	if err != nil {
		return &translator{lang: code}
	}
	return &translator{lang: code, loc: i18n.NewLocalizer(b, code, "en")}
}

// normalizeLang maps a language tag to one of Languages, English by default.
func normalizeLang(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	for _, l := range Languages {
		if l == code {
			return l
		}
	}
	return "en"
}

// T returns the string for key, filled from data (a map or struct for {{.Field}} templates).
// A missing key shows as the key itself, which tests catch.
func (t *translator) T(key string, data ...any) string {
	if t == nil || t.loc == nil {
		return key
	}
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: d})
	if err != nil {
		return key
	}
	return s
}

// date formats a day the way people say it: "Friday 27 November 2026", "Venerdì 27 novembre 2026".
func (t *translator) date(now time.Time) string {
	return t.T("date.format", map[string]any{
		"Weekday": t.T(fmt.Sprintf("day.%d", int(now.Weekday()))),
		"Day":     now.Day(),
		"Month":   t.T(fmt.Sprintf("month.%d", int(now.Month()))),
		"Year":    now.Year(),
	})
}

// greeting says good morning, afternoon or evening to name.
func (t *translator) greeting(now time.Time, name string) string {
	if name == "" {
		return t.T("home.hello")
	}
	key := "home.evening"
	switch h := now.Hour(); {
	case h >= 4 && h < 12:
		key = "home.morning"
	case h >= 12 && h < 18:
		key = "home.afternoon"
	}
	return t.T(key, map[string]any{"Name": name})
}

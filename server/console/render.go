package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"bedside/server/store"
)

// pageNames are the templates that are whole pages; each is parsed with layout.html and
// partials.html.
var pageNames = []string{"login", "error", "password", "home", "ward", "enroll", "pair", "bed",
	"discharge", "contact", "audit", "staff"}

// pairArgs passes the view and one value to a sub-template: {{template "x" (pair $ .)}}.
type pairArgs struct {
	V *view
	X any
}

var funcs = template.FuncMap{
	"pair": func(v *view, x any) pairArgs { return pairArgs{V: v, X: x} },
	"initial": func(s string) string {
		r, _ := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError {
			return "?"
		}
		return strings.ToUpper(string(r))
	},
}

func parsePages(files fs.FS) (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New("layout").Funcs(funcs).ParseFS(files, "layout.html", "partials.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("%w: template %s: %v", ErrConfig, name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every template gets.
type view struct {
	Page      string
	Lang      string
	Languages []string
	User      *user
	CSRF      string
	Path      string // the page's path and query, for the language links
	Title     string
	OK        string // a translated success message
	Err       string // a translated error message
	Form      url.Values
	Data      any
}

// T translates key into the view's language, formatting args into it.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

// When shows a time for people, or a dash when it is zero.
func (v *view) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.Local()
	now := time.Now()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return v.T("time.today", t.Format("15:04"))
	}
	return t.Format("02/01/2006 15:04")
}

// newView starts a view for a page.
func (c *Console) newView(r *http.Request, u *user, page string) *view {
	v := &view{Page: page, Lang: c.lang(r), Languages: languages, User: u, Form: url.Values{}}
	if u != nil {
		v.CSRF = u.csrf
	}
	v.Path = r.URL.Path
	if r.Method != http.MethodGet {
		v.Path = "/console/" // the language links come back with GET
	} else if r.URL.RawQuery != "" {
		v.Path += "?" + r.URL.RawQuery
	}
	v.Title = v.T("title." + page)
	if key := r.URL.Query().Get("ok"); key != "" && hasKey("ok."+key) {
		v.OK = v.T("ok." + key)
	}
	return v
}

// render writes the page with status.
func (c *Console) render(w http.ResponseWriter, status int, v *view) {
	t := c.pages[v.Page]
	if t == nil {
		c.log.Error("no such page", "page", v.Page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("render", "page", v.Page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// inputError is an ErrBadInput with the key of its translated message; a clash is input
// that collides with the current state (409) rather than malformed (400).
type inputError struct {
	key   string
	clash bool
}

func (e *inputError) Error() string        { return "console: bad input: " + e.key }
func (e *inputError) Is(target error) bool { return target == ErrBadInput }

// bad returns an ErrBadInput whose message is "err.<key>".
func bad(key string) error { return &inputError{key: key} }

// clash returns an ErrBadInput for input that collides with the current state.
func clash(key string) error { return &inputError{key: key, clash: true} }

// statusOf maps an error to its HTTP status; the one place that does.
func statusOf(err error) int {
	var ie *inputError
	switch {
	case errors.As(err, &ie) && ie.clash:
		return http.StatusConflict
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrCSRF):
		return http.StatusForbidden
	case errors.Is(err, ErrPhotoSize):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrPhotoType), errors.Is(err, ErrPhotoPixels), errors.Is(err, ErrPhotoCorrupt):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrBadInput), errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrLoginFailed):
		return http.StatusUnauthorized
	case errors.Is(err, ErrLocked), errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// messageKey is the translation key of an error's message.
func messageKey(err error) string {
	var ie *inputError
	switch {
	case errors.As(err, &ie):
		return "err." + ie.key
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		return "err.notfound"
	case errors.Is(err, ErrForbidden):
		return "err.forbidden"
	case errors.Is(err, ErrCSRF):
		return "err.csrf"
	case errors.Is(err, ErrPhotoSize):
		return "err.photosize"
	case errors.Is(err, ErrPhotoType):
		return "err.phototype"
	case errors.Is(err, ErrPhotoPixels):
		return "err.photopixels"
	case errors.Is(err, ErrPhotoCorrupt):
		return "err.photocorrupt"
	case errors.Is(err, ErrBadInput), errors.Is(err, store.ErrInvalid):
		return "err.badinput"
	case errors.Is(err, store.ErrConflict):
		return "err.conflict"
	case errors.Is(err, ErrLoginFailed):
		return "err.login"
	case errors.Is(err, ErrLocked):
		return "err.locked"
	case errors.Is(err, ErrRateLimited):
		return "err.ratelimited"
	case errors.Is(err, store.ErrFull):
		return "err.full"
	}
	return "err.internal"
}

// renderOrFail renders v, or, when a form post failed, v with the posted form kept (so
// nothing typed is lost) and failure's message.
func (c *Console) renderOrFail(w http.ResponseWriter, r *http.Request, u *user, v *view, form url.Values, failure error) {
	if failure == nil {
		c.render(w, http.StatusOK, v)
		return
	}
	if form != nil {
		v.Form = form
	}
	c.fail(w, r, u, v, failure)
}

// fail renders v (or the error page when v is nil) with err's message and status. Errors
// that are not the user's are logged.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, u *user, v *view, err error) {
	status := statusOf(err)
	if status >= 500 {
		c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if v == nil {
		v = c.newView(r, u, "error")
	}
	v.Err = v.T(messageKey(err))
	c.render(w, status, v)
}

// redirect sends the browser to target after a change (303, so a reload does not repeat it),
// with an optional success message key.
func redirect(w http.ResponseWriter, r *http.Request, target, ok string) {
	if ok != "" {
		target += "?ok=" + url.QueryEscape(ok)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveStatic serves the console's style sheet, script and images.
func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ext := path.Ext(name)
	if !fs.ValidPath(name) || strings.Contains(name, "/") || ext == ".html" || ext == "" {
		c.serveNotFound(w, r)
		return
	}
	data, err := fs.ReadFile(c.cfg.Files, name)
	if err != nil {
		c.serveNotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(ext)
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}

func (c *Console) serveNotFound(w http.ResponseWriter, r *http.Request) {
	u, _ := c.session(r)
	c.fail(w, r, u, nil, ErrNotFound)
}

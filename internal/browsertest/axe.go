package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// AxeVersion is the axe-core that scripts/deps.sh installs from npm into .cache/npm.
const AxeVersion = "4.14.1"

// Violation is one axe-core rule that a page breaks, with where.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// axeSource reads axe.min.js from the repository's .cache/npm; a missing file fails the test
// (make test installs it).
func axeSource(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("browsertest: axe-core %s is not installed (run make deps-test): %v", AxeVersion, err)
	}
	return string(b)
}

// Axe runs axe-core's WCAG 2.x A and AA rules (and its best practices) on what the page
// shows now and returns the violations.
func Axe(tb testing.TB, tab Tab) []Violation {
	tb.Helper()
	if !EvalAs[bool](tb, tab, `typeof window.axe === 'object'`) {
		tab.Exec(axeSource(tb))
	}
	return EvalAs[[]Violation](tb, tab, `axe.run(document, {
  resultTypes: ['violations'],
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
}).then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact || '', help: v.help,
  targets: v.nodes.map((n) => n.target.join(' '))})))`)
}

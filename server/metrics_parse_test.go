package server_test

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// exposition is a parsed /metrics page: every sample by its series, written as name{labels}
// with the labels sorted (the name alone without labels), and the type of every family.
type exposition struct {
	samples map[string]float64
	types   map[string]string
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	errPage    = errors.New("not Prometheus text format 0.0.4")
)

// parseExposition parses body strictly as the Prometheus text format 0.0.4 as the server
// writes it: HELP and TYPE once per family and before its samples, a family's samples
// together, `name{k="v",...} value` lines without timestamps, counters named _total, no
// duplicate series, and histograms whose buckets are cumulative, end with +Inf and agree
// with _count and _sum.
func parseExposition(body string) (exposition, error) {
	x := exposition{samples: map[string]float64{}, types: map[string]string{}}
	if !strings.HasSuffix(body, "\n") {
		return x, fmt.Errorf("%w: no newline at the end", errPage)
	}
	helps := map[string]bool{}
	done := map[string]bool{} // families whose samples are over
	current := ""
	for n, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		bad := func(why string) error { return fmt.Errorf("%w: line %d %q: %s", errPage, n+1, line, why) }
		if line == "" {
			return x, bad("empty line")
		}
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			kind, rest, _ := strings.Cut(rest, " ")
			name, text, ok := strings.Cut(rest, " ")
			switch {
			case !ok || text == "" || !metricName.MatchString(name):
				return x, bad("malformed comment")
			case done[name] || current == name:
				return x, bad("HELP or TYPE after samples")
			case kind == "HELP" && helps[name], kind == "TYPE" && x.types[name] != "":
				return x, bad("second " + kind)
			case kind == "HELP":
				helps[name] = true
			case kind == "TYPE":
				if !slices.Contains([]string{"counter", "gauge", "histogram", "summary", "untyped"}, text) {
					return x, bad("unknown type")
				}
				x.types[name] = text
			default:
				return x, bad("unknown comment")
			}
			continue
		}
		name, labels, value, err := splitSample(line)
		if err != nil {
			return x, bad(err.Error())
		}
		fam := familyOf(name, x.types)
		switch {
		case fam == "":
			return x, bad("sample before its TYPE")
		case !helps[fam]:
			return x, bad("sample before its HELP")
		case fam != current && done[fam]:
			return x, bad("the family's samples are not together")
		case x.types[fam] == "counter" && (!strings.HasSuffix(name, "_total") || value < 0):
			return x, bad("counter not named _total or negative")
		}
		if fam != current {
			done[current] = true
			current = fam
		}
		key := series(name, labels)
		if _, dup := x.samples[key]; dup {
			return x, bad("duplicate series")
		}
		x.samples[key] = value
	}
	for fam, typ := range x.types {
		if typ == "histogram" {
			if err := checkHistogram(fam, x.samples); err != nil {
				return x, err
			}
		}
	}
	return x, nil
}

// splitSample parses `name{k="v",...} value`.
func splitSample(line string) (string, map[string]string, float64, error) {
	labels := map[string]string{}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 || !metricName.MatchString(line[:i]) {
		return "", nil, 0, errors.New("bad metric name")
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for !strings.HasPrefix(rest, "}") {
			k, r, ok := strings.Cut(rest, `="`)
			if !ok || !labelName.MatchString(k) {
				return "", nil, 0, errors.New("bad label name")
			}
			if _, twice := labels[k]; twice {
				return "", nil, 0, errors.New("label twice")
			}
			var v strings.Builder
			for {
				if r == "" {
					return "", nil, 0, errors.New("unterminated label value")
				}
				c := r[0]
				r = r[1:]
				if c == '"' {
					break
				}
				if c == '\\' {
					switch {
					case strings.HasPrefix(r, `\`), strings.HasPrefix(r, `"`):
						v.WriteByte(r[0])
					case strings.HasPrefix(r, "n"):
						v.WriteByte('\n')
					default:
						return "", nil, 0, errors.New("bad escape")
					}
					r = r[1:]
					continue
				}
				v.WriteByte(c)
			}
			labels[k] = v.String()
			if after, ok := strings.CutPrefix(r, ","); ok {
				if strings.HasPrefix(after, "}") {
					return "", nil, 0, errors.New("trailing comma")
				}
				r = after
			} else if !strings.HasPrefix(r, "}") {
				return "", nil, 0, errors.New("labels not separated by commas")
			}
			rest = r
		}
		rest = rest[1:]
	}
	v, ok := strings.CutPrefix(rest, " ")
	if !ok || strings.Contains(v, " ") {
		return "", nil, 0, errors.New("want one space and a value, no timestamp")
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return "", nil, 0, err
	}
	return name, labels, f, nil
}

// familyOf is the family a sample belongs to: its own name, or a histogram's for its _bucket,
// _sum and _count series; "" when no TYPE declared it.
func familyOf(name string, types map[string]string) string {
	if _, ok := types[name]; ok {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && types[base] == "histogram" {
			return base
		}
	}
	return ""
}

func series(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	var parts []string
	for k, v := range labels {
		parts = append(parts, k+"="+strconv.Quote(v))
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// checkHistogram checks histogram fam (no labels but le, as the server writes them):
// cumulative counts in the order of their bounds, +Inf last and equal to _count, a _sum.
func checkHistogram(fam string, samples map[string]float64) error {
	type bucket struct{ le, n float64 }
	var buckets []bucket
	for key, v := range samples {
		rest, ok := strings.CutPrefix(key, fam+`_bucket{le=`)
		if !ok {
			continue
		}
		le, err := strconv.Unquote(strings.TrimSuffix(rest, "}"))
		if err != nil {
			return fmt.Errorf("%w: %s: %w", errPage, key, err)
		}
		f, err := strconv.ParseFloat(le, 64)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", errPage, key, err)
		}
		buckets = append(buckets, bucket{f, v})
	}
	slices.SortFunc(buckets, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	for i := 1; i < len(buckets); i++ {
		if buckets[i].n < buckets[i-1].n {
			return fmt.Errorf("%w: %s: buckets not cumulative", errPage, fam)
		}
	}
	count, hasCount := samples[fam+"_count"]
	sum, hasSum := samples[fam+"_sum"]
	switch {
	case len(buckets) == 0 || !math.IsInf(buckets[len(buckets)-1].le, 1):
		return fmt.Errorf("%w: %s: no le=\"+Inf\" bucket", errPage, fam)
	case !hasCount || !hasSum:
		return fmt.Errorf("%w: %s: no _count or _sum", errPage, fam)
	case buckets[len(buckets)-1].n != count:
		return fmt.Errorf("%w: %s: +Inf bucket is not _count", errPage, fam)
	case count == 0 && sum != 0:
		return fmt.Errorf("%w: %s: a sum without observations", errPage, fam)
	}
	return nil
}

// The parser refuses pages that break the format: the checks the metrics tests rely on are
// real.
func TestParseExpositionRefusesBrokenPages(t *testing.T) {
	good := "# HELP a_total A.\n# TYPE a_total counter\na_total{reason=\"x\",w=\"a\\\"b\"} 1\n"
	x, err := parseExposition(good)
	require.NoError(t, err)
	require.Equal(t, 1.0, x.samples[`a_total{reason="x",w="a\"b"}`])
	for name, page := range map[string]string{
		"no type":           "# HELP a_total A.\na_total 1\n",
		"no help":           "# TYPE a_total counter\na_total 1\n",
		"counter name":      "# HELP a A.\n# TYPE a counter\na 1\n",
		"duplicate":         good + "a_total{reason=\"x\",w=\"a\\\"b\"} 2\n",
		"timestamp":         "# HELP g G.\n# TYPE g gauge\ng 1 1700000000\n",
		"bad escape":        "# HELP g G.\n# TYPE g gauge\ng{w=\"a\\q\"} 1\n",
		"trailing comma":    "# HELP g G.\n# TYPE g gauge\ng{w=\"a\",} 1\n",
		"not a number":      "# HELP g G.\n# TYPE g gauge\ng one\n",
		"not cumulative":    "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"count disagrees":   "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
		"no +Inf":           "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"no newline at end": "# HELP g G.\n# TYPE g gauge\ng 1",
		"split family":      "# HELP g G.\n# TYPE g gauge\n# HELP f F.\n# TYPE f gauge\ng{a=\"1\"} 1\nf 1\ng{a=\"2\"} 1\n",
	} {
		_, err := parseExposition(page)
		require.ErrorIs(t, err, errPage, name)
	}
}

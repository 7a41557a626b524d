package router

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadCommand is wrapped by errors about a control line that is not a command.
var ErrBadCommand = errors.New("bad command")

// Serve reads control commands, one a line, from in and answers each with one line on out,
// until in ends or ctx is done:
//
//	set LINK up|down|both key=value...   changes only the keys given (see Impairment.Apply)
//	clear LINK up|down|both              back to no impairment
//	stats                                "stats {JSON}": every stage's Counters by "link/dir"
//
// The answer is "ok", "stats {...}" or "error TEXT"; a bad line changes nothing.
func Serve(ctx context.Context, r *Router, in io.Reader, out io.Writer) error {
	current := map[string]Impairment{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		answer, err := r.command(ctx, current, strings.Fields(sc.Text()))
		if err != nil {
			answer = "error " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		if _, err := fmt.Fprintln(out, answer); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	return sc.Err()
}

func (r *Router) command(ctx context.Context, current map[string]Impairment, w []string) (string, error) {
	if len(w) == 0 {
		return "", fmt.Errorf("%w: empty line", ErrBadCommand)
	}
	switch w[0] {
	case "stats":
		st, err := r.Stats(ctx)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(st)
		if err != nil {
			return "", err
		}
		return "stats " + string(b), nil
	case "set", "clear":
		if len(w) < 3 || (w[0] == "clear" && len(w) > 3) {
			return "", fmt.Errorf("%w: %s LINK up|down|both%s", ErrBadCommand, w[0], map[bool]string{true: " key=value...", false: ""}[w[0] == "set"])
		}
		dirs := []Direction{Direction(w[2])}
		if w[2] == "both" {
			dirs = []Direction{Up, Down}
		}
		next := map[string]Impairment{}
		for _, d := range dirs {
			key := w[1] + "/" + string(d)
			if _, ok := r.stages[key]; !ok {
				return "", fmt.Errorf("%w: %s", ErrUnknownLink, key)
			}
			im := Impairment{}
			if w[0] == "set" {
				var err error
				if im, err = current[key].Apply(w[3:]); err != nil {
					return "", err
				}
			}
			next[key] = im
		}
		for key, im := range next {
			link, dir, _ := strings.Cut(key, "/")
			if err := r.Set(ctx, link, Direction(dir), im); err != nil {
				return "", err
			}
			current[key] = im
		}
		return "ok", nil
	}
	return "", fmt.Errorf("%w: %q", ErrBadCommand, w[0])
}

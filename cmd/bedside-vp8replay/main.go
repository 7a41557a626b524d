// Command bedside-vp8replay encodes again the VP8 work a test-pattern Local recorded
// (media.Local.SetEncodeObserver, one JSON media.EncodeRecord a line), with a fresh encoder:
// the same pictures, sizes, durations, bit rates and forced keyframes. Run under valgrind's
// callgrind (--toggle-collect=vpx_codec_encode) it counts the instructions the encoder spent,
// a figure the machine's load cannot change. BenchmarkGroupCallTablet runs it.
//
//	bedside-vp8replay -trace run.jsonl [-records n] [-size 640x480] [-fps 30]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"bedside/call/media"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bedside-vp8replay:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("bedside-vp8replay", flag.ContinueOnError)
	trace := fs.String("trace", "", "file of JSON encode records, one a line (required)")
	records := fs.Int("records", -1, "replay only the first n records (-1: all)")
	size := fs.String("size", "640x480", "the Local's picture size")
	fps := fs.Int("fps", 30, "the Local's frame rate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil {
		return fmt.Errorf("-size %q: want WxH", *size)
	}
	if *trace == "" {
		return fmt.Errorf("-trace is required")
	}
	f, err := os.Open(*trace)
	if err != nil {
		return err
	}
	defer f.Close()
	var recs []media.EncodeRecord
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if *records >= 0 && len(recs) == *records {
			break
		}
		var r media.EncodeRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s:%d: %w", *trace, line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	keys, bytes, err := media.ReplayTestPattern(w, h, *fps, recs)
	if err != nil {
		return err
	}
	fmt.Printf("records %d keyframes %d bytes %d\n", len(recs), keys, bytes)
	return nil
}

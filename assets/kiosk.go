package assets

import (
	"embed"
	"math"
)

// Icons holds the kiosk's SVG icons under icons/, drawn for this project. The kiosk wraps them in
// Fyne resources (and themes them) itself.
//
//go:embed icons/*.svg
var Icons embed.FS

// Translations holds the kiosk's strings, one go-i18n JSON file per language under
// translations/ (en.json, it.json), the format Fyne's lang package loads.
//
//go:embed translations/*.json
var Translations embed.FS

// Sounds holds notes about the kiosk's sounds. The sounds themselves are synthesized at start-up
// (Ringtone, Beep) so that the repository carries no audio binaries.
//
//go:embed sounds/README.md
var Sounds embed.FS

// Ringtone returns one cycle of the kiosk's ringtone as mono 16-bit PCM at sampleRate: a soft
// rising three-note chime (C5, E5, G5 with gentle harmonics and a bell-like decay) followed by a
// pause, about 2.4 seconds in all. Play it in a loop while a call rings.
func Ringtone(sampleRate int) []int16 {
	if sampleRate <= 0 {
		return nil
	}
	notes := []float64{523.25, 659.25, 783.99}
	const noteSec, gapSec, tailSec = 0.32, 0.04, 1.2
	total := int(float64(sampleRate) * (float64(len(notes))*(noteSec+gapSec) + tailSec))
	out := make([]float64, total)
	for i, f := range notes {
		start := int(float64(sampleRate) * float64(i) * (noteSec + gapSec))
		addBell(out, start, sampleRate, f, 0.9, 0.30)
	}
	return toPCM(out, 0.55)
}

// Beep returns one short, soft tick (about 150 ms at 880 Hz) as mono 16-bit PCM at sampleRate:
// the audible count of the auto-answer countdown.
func Beep(sampleRate int) []int16 {
	if sampleRate <= 0 {
		return nil
	}
	out := make([]float64, sampleRate*15/100)
	addBell(out, 0, sampleRate, 880, 0.12, 0.5)
	return toPCM(out, 0.5)
}

// addBell mixes into out, from sample start, a note of frequency f that decays with time
// constant decay seconds, with two soft harmonics and a short attack to avoid clicks.
func addBell(out []float64, start, rate int, f, decay, gain float64) {
	attack := float64(rate) * 0.008
	for n := start; n < len(out); n++ {
		t := float64(n-start) / float64(rate)
		env := math.Exp(-t / decay)
		if a := float64(n - start); a < attack {
			env *= a / attack
		}
		if env < 1e-4 && t > 0.05 {
			return
		}
		s := math.Sin(2*math.Pi*f*t) + 0.3*math.Sin(2*math.Pi*2*f*t) + 0.1*math.Sin(2*math.Pi*3*f*t)
		out[n] += gain * env * s
	}
}

// toPCM scales samples so the loudest is at peak (0..1 of full scale) and converts to int16.
func toPCM(in []float64, peak float64) []int16 {
	maxAbs := 0.0
	for _, v := range in {
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	out := make([]int16, len(in))
	if maxAbs == 0 {
		return out
	}
	k := peak * 32767 / maxAbs
	for i, v := range in {
		out[i] = int16(v * k)
	}
	return out
}

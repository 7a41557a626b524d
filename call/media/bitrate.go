package media

// Bit-rate limits of the outgoing video, bits per second: the one definition that the VP8
// encoder, Local.SetVideoBitRate and the call's congestion control all use.
const (
	// MinVideoBitRate is the lowest VP8 target, for the smallest picture of the adaptation
	// ladder (160x120 at 10 fps, see adapt.go); a 640x480 picture needs about 150 kbit/s not
	// to turn to mush. Congestion control may estimate down to it, and below
	// AudioOnlyBitRate the video pauses.
	MinVideoBitRate = 30_000
	// MaxVideoBitRate is the highest VP8 target: plenty for a face at 640x480, and what a
	// shared hospital Wi-Fi can give to each of several calls.
	MaxVideoBitRate = 1_500_000
	// InitialVideoBitRate is the target at 640x480 (other sizes scale with the pixel count,
	// see VideoBitRateFor), and where congestion control starts its estimate.
	InitialVideoBitRate = 1_000_000
)

// VideoBitRateFor is the initial VP8 target for a picture size: InitialVideoBitRate at 640x480,
// scaled with the pixel count, within MinVideoBitRate..MaxVideoBitRate.
func VideoBitRateFor(w, h int) int {
	return ClampVideoBitRate(InitialVideoBitRate * w / 640 * h / 480)
}

// ClampVideoBitRate brings bps within MinVideoBitRate..MaxVideoBitRate.
func ClampVideoBitRate(bps int) int {
	return min(max(bps, MinVideoBitRate), MaxVideoBitRate)
}

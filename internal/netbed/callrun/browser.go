package callrun

import "strings"

// What a test that drives the family page in a browser needs of a Ward.

// URL is the ward server's base URL, on the server's testbed address.
func (w *Ward) URL() string { return w.url }

// FamilyURL is the demo family's link: the family page, for a browser in the family's
// namespace.
func (w *Ward) FamilyURL() string { return w.url + "/j/" + w.familyToken }

// TabletFrames is how many video frames the tablet decoded so far, by its last stats line.
func (w *Ward) TabletFrames() uint64 {
	ss, _ := parse(w.tablet.output())
	if len(ss) == 0 {
		return 0
	}
	return ss[len(ss)-1].frames
}

// TabletSays is the value of name in the tablet's last stats line ("their_video_stopped"),
// "" before one.
func (w *Ward) TabletSays(name string) string {
	out := w.tablet.output()
	for i := len(out) - 1; i >= 0; i-- {
		if strings.HasPrefix(out[i].text, "stats ") {
			v, _ := field(out[i].text, name)
			return v
		}
	}
	return ""
}

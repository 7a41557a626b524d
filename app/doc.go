// Package app is the bedside kiosk's user interface, in Fyne: the screens the patient sees
// (setup, home, outgoing, incoming, in-call) and the nurse panel behind a PIN, the kiosk lock,
// the patients' theme and the translations.
//
// The package holds no networking. It declares what it needs of the rest of Bedside as small
// interfaces — Phone (the call engine), Pairer (enrollment), Audio (the speaker) and Clock — and
// main wires the real implementations in. It renders the video frames it is handed through
// VideoSink values (Kiosk.RemoteVideo, Kiosk.SelfView), never blocking the sender.
//
// Every change that comes from another goroutine reaches the widgets through fyne.Do.
package app

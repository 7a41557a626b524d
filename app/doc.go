// Package app is the bedside kiosk's user interface, in Fyne: the screens the patient sees
// (setup, home, outgoing, incoming, in-call) and the nurse panel behind a PIN, the kiosk lock,
// the patients' theme and the translations.
//
// The setup screen pairs an unpaired tablet in one of three ways: it scans an enrollment QR code
// from the camera preview (Camera; frames are decoded off the UI goroutine, a few a second,
// the latest frame winning), it shows the tablet's own pairing request as a QR code and a short
// code and polls until a nurse approves it, or it takes a typed code.
//
// The package holds no networking. It declares what it needs of the rest of Bedside as small
// interfaces — Phone (the call engine), Pairer (enrollment), Camera (frames to scan), Audio (the
// speaker) and Clock — and main wires the real implementations in. It renders the video frames it is handed through
// VideoSink values (Kiosk.RemoteVideo, Kiosk.SelfView), never blocking the sender.
//
// Every change that comes from another goroutine reaches the widgets through fyne.Do.
package app

// Package tablet is what the bedside tablet adds around the screens of package app: Device,
// the glue between the setup screen and enrollment that starts and stops the call engine; the
// adapter that turns the engine's events into the kiosk's; the one worker that keeps the
// device's configuration and contact photos and wipes them at discharge; the speaker; the
// battery reader; the camera and media the tablet opens for the whole run.
//
// It imports app (for the kiosk's types), call and call/media (the engine), call/signal and
// provisioning. Package main parses flags and wires a Device to an app.Kiosk.
package tablet

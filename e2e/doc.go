// Package e2e holds Bedside's end-to-end tests: a real ward server on a real SQLite file and a
// loopback listener, the Go call engine enrolled as the bedside tablet, and Debian's Chromium
// (headless, with a fake camera and microphone, driven by chromedp) opening the family page.
// The package has no code of its own; everything is in its tests.
package e2e

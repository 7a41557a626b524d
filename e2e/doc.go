// Package e2e holds Bedside's end-to-end tests: a real ward server on a real SQLite file and a
// loopback listener, the Go call engine enrolled as the bedside tablet, and Debian's Chromium
// (headless, with a fake camera and microphone, driven by chromedp) and Firefox ESR (driven over
// WebDriver BiDi) opening the family page and the nurse console.
//
// The package has no code of its own; everything is in its tests. Their scaffolding, shared by
// the tests and the benchmarks (it takes a testing.TB), is one file a concept:
//
//   - ward_test.go: newWard starts the server (options withConfig, withConsole, withPages;
//     stop, startAgain, addBed);
//   - peer_test.go: newTablet and newFamily start the Go engine at one end of a call (option
//     autoAnswer; frame and audio counters, call events);
//   - browser_test.go: newBrowser starts Chromium as a family member's phone (options lang,
//     desk, denyMedia, fakeVideo) on bedside/internal/browsertest, with do, eval, text,
//     waitState and screenshots;
//   - layout_test.go: checkScreens, which resizes a browsertest.Tab (Chromium or Firefox) to
//     320x640, 390x844 and 844x390 and fails on text or buttons that leave the screen, are cut
//     off or overlap, on the call's buttons off screen, and on any axe-core violation;
//     browser_tour_test.go drives the family page through every screen with it;
//   - browser_media_test.go: watchMediaJS, preloaded to see every camera and microphone track
//     the page opens (and to refuse them where the browser cannot be told to);
//   - wait_test.go: eventually and poll, bounded by wait; log_test.go: logs shown on failure;
//   - bare_tablet_test.go: a tablet speaking the signaling protocol by hand;
//   - timers_test.go: the server's timeouts fired by hand.
//
// BEDSIDE_E2E_SHOTS=DIR saves screenshots there; BEDSIDE_E2E_CONSOLE=1 prints every page's
// console.
package e2e

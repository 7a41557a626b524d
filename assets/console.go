package assets

import "embed"

// Console holds the nurse console's page templates, style sheet, script and icon under
// console/: the server's console package parses the .html templates and serves the other
// files under /console/static/. Nothing is loaded from anywhere else, so the pages run under
// a strict Content-Security-Policy with no inline script or style.
//
//go:embed console
var Console embed.FS

package assets

import "embed"

// Web holds the family page, served by the ward server: web/family.html for GET /j/{token}
// (the same page for every token; the script reads the token from the address) and every file
// under web/ for GET /static/{file}. The page loads nothing from anywhere else, so it runs under
// a strict Content-Security-Policy with no inline script or style.
//
//go:embed web
var Web embed.FS

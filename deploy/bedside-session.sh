#!/bin/sh
# The cage kiosk session: what runs inside the cage compositor started by bedside-kiosk.service.
# It runs the Bedside app fullscreen and locked (no -windowed); when the app exits or crashes,
# cage exits with it and systemd starts both again.
#
# Settings come from /etc/bedside/bedside.env (see bedside.env):
#   BEDSIDE_SERVER  the ward server's base URL (required)
#   BEDSIDE_MEDIA   camera (default) or test
#   BEDSIDE_ARGS    any further flags, e.g. "-auto-answer"
set -eu

: "${BEDSIDE_SERVER:?set BEDSIDE_SERVER in /etc/bedside/bedside.env}"
data=${STATE_DIRECTORY:-/var/lib/bedside}

# A Wayland session has no screensaver to inhibit and cage blanks nothing by itself; on X11 the
# app itself runs "xset s off -dpms" during calls.
# shellcheck disable=SC2086 # BEDSIDE_ARGS is a list of flags
exec /usr/local/bin/bedside \
	-server "$BEDSIDE_SERVER" \
	-data "$data" \
	-media "${BEDSIDE_MEDIA:-camera}" \
	${BEDSIDE_ARGS:-}

#!/usr/bin/env bash
# Starts the demo: the ward server on its embedded defaults, seeded with a demo ward, and a kiosk
# paired to it (in a window when a display exists, under a virtual display otherwise).
# Environment: ADDR (default 127.0.0.1:8080), DATA (default ./data), MEDIA (test|camera, default test).
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${ADDR:-127.0.0.1:8080}
data=${DATA:-./data}
media=${MEDIA:-test}
mkdir -p "$data"
log="$data/server.log"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

bin/bedside-server -demo -addr "$addr" -data "$data/server" >"$data/server.out" 2>"$log" &
pids+=($!)

# Wait for the demo lines.
for _ in $(seq 1 100); do
	grep -q '^nurse login: ' "$data/server.out" 2>/dev/null && sleep 0.2 && break
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		echo "the server did not start; its log ($log):" >&2
		tail -20 "$log" >&2
		exit 1
	fi
	sleep 0.1
done
family=$(sed -n 's/^family link: //p' "$data/server.out")
code=$(sed -n 's/^device pairing code: //p' "$data/server.out")
console=$(sed -n 's/^nurse console: //p' "$data/server.out")
login=$(sed -n 's/^nurse login: //p' "$data/server.out")
pin=$(sed -n 's/^tablet PIN: //p' "$data/server.out")

kiosk_args=(-server "http://$addr" -data "$data/kiosk" -media "$media" -auto-answer)
# A kiosk that paired before keeps its pairing; only a new one needs the code.
[ -s "$data/kiosk/device.id" ] || kiosk_args+=(-pair "$code")

display_note="in a window on ${DISPLAY:-}"
if [ -z "${DISPLAY:-}" ]; then
	# No display: give the kiosk a virtual one, so the demo still answers calls.
	export DISPLAY=:$((90 + RANDOM % 9))
	Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
	pids+=($!)
	sleep 1
	display_note="on the virtual display $DISPLAY (no screen here; see it with: import -display $DISPLAY -window root kiosk.png)"
else
	kiosk_args+=(-windowed)
fi
bin/bedside "${kiosk_args[@]}" >"$data/kiosk.log" 2>&1 &
pids+=($!)

cat <<MSG

Bedside is running.
  ward server:  http://$addr   (log: $log)
  kiosk:        $display_note   (log: $data/kiosk.log)
  family link:  $family
                open it in a browser on this machine and tap Call; the kiosk answers by itself.
MSG
[ -n "$console" ] && echo "  nurse console: $console   login: $login"
[ -n "$pin" ] && echo "  kiosk nurse panel PIN: $pin"
true
echo
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}"

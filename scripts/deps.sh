#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Bedside need, when missing.
# Usage: scripts/deps.sh build|test
set -euo pipefail

build_pkgs=(pkg-config gcc libc6-dev libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev libvpx-dev libopus-dev libasound2-dev)
run_pkgs=(xvfb xauth)
test_pkgs=(xvfb xauth imagemagick chromium xdotool iproute2 procps)

want=("${build_pkgs[@]}")
case "${1:-build}" in
build) ;;
run) want+=("${run_pkgs[@]}") ;;
test) want+=("${test_pkgs[@]}") ;;
*) echo "usage: $0 build|run|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Bedside need, when missing.
# Usage: scripts/deps.sh build|test
set -euo pipefail

build_pkgs=(pkg-config gcc libc6-dev libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev libvpx-dev libopus-dev libasound2-dev)
run_pkgs=(xvfb xauth)
test_pkgs=(xvfb xauth imagemagick chromium firefox-esr xdotool iproute2 procps postgresql nftables coturn valgrind)

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
# The browser tests run axe-core (MPL-2.0) from npm, installed into .cache/npm (ignored by git).
axe_version=4.14.1
axe_dir="$(cd "$(dirname "$0")/.." && pwd)/.cache/npm"
want_axe=""
if [ "${1:-build}" = test ] && ! grep -qs "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json"; then
	want_axe=1
	command -v npm >/dev/null || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "installing Debian packages: ${missing[*]}"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -n "$want_axe" ]; then
	echo "installing axe-core $axe_version from npm into $axe_dir"
	mkdir -p "$axe_dir"
	npm install --prefix "$axe_dir" --no-save --no-package-lock --no-audit --no-fund "axe-core@$axe_version" >/dev/null
fi

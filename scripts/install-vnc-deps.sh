#!/usr/bin/env bash
# Installs what the VNC back end's tests against a real VNC server need (vnc/tests/xvnc.rs):
#   * TigerVNC's Xvnc and vncpasswd      tigervnc-standalone-server tigervnc-tools
#   * X clients that draw and observe    x11-xserver-utils (xsetroot), x11-apps (xwd),
#                                        x11-utils (xdpyinfo), xdotool, xclip
#   * a terminal for the latency workload xterm (vnc/examples/xvnc_latency.rs)
#
# Idempotent and quiet when there is nothing to do: apt runs only if a package is
# missing, `apt-get update` at most once. Non-interactive (works with CI=true).
#
# Usage: scripts/install-vnc-deps.sh
set -euo pipefail

APT_PACKAGES=(tigervnc-standalone-server tigervnc-tools x11-xserver-utils x11-apps x11-utils xdotool xclip xterm)

log() { printf 'install-vnc-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root (or passwordless sudo) to run: $*"
  fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all VNC test packages already installed"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
log "installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for bin in Xvnc vncpasswd xsetroot xwd xdotool xclip; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin still missing after apt-get install"
done
log "done"

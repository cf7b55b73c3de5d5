#!/usr/bin/env bash
# Starts a local demo desktop for Porthole's built-in VNC back end: TigerVNC's Xvnc on
# display :1 (VNC port 5901, localhost only, no password — for trying Porthole on your
# own machine, not for a shared host), with a light window manager and a terminal.
#
#   scripts/demo-desktop.sh            # install what is missing (Debian/Ubuntu), start
#   scripts/demo-desktop.sh --stop     # stop it
#
# Start it before Porthole's first start and Porthole offers a ready "Demo desktop"
# connection to it (see README, "A desktop to try at once").
set -euo pipefail
DISPLAY_NUM="${DEMO_DISPLAY:-1}"
PORT=$((5900 + DISPLAY_NUM))
PIDFILE="${TMPDIR:-/tmp}/porthole-demo-desktop.pid"

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$PIDFILE" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$PIDFILE"
    rm -f "$PIDFILE"
    echo "demo desktop stopped"
  else
    echo "no demo desktop is running"
  fi
  exit 0
fi

need=()
command -v Xvnc >/dev/null || need+=(tigervnc-standalone-server)
command -v openbox >/dev/null || need+=(openbox)
command -v xterm >/dev/null || need+=(xterm)
command -v xsetroot >/dev/null || need+=(x11-xserver-utils)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${need[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "something already listens on 127.0.0.1:$PORT; stop it or set DEMO_DISPLAY"
  exit 1
fi

Xvnc ":$DISPLAY_NUM" -geometry 1280x800 -depth 24 -rfbport "$PORT" -localhost \
  -nolisten tcp -SecurityTypes None -AlwaysShared -AcceptSetDesktopSize \
  >/dev/null 2>&1 &
echo $! > "$PIDFILE"
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
export DISPLAY=":$DISPLAY_NUM"
xsetroot -solid '#2b4c6f'
openbox >/dev/null 2>&1 & echo $! >> "$PIDFILE"
xterm -geometry 100x30+80+60 -title "Porthole demo desktop" >/dev/null 2>&1 & echo $! >> "$PIDFILE"
echo "demo desktop running on VNC 127.0.0.1:$PORT (display :$DISPLAY_NUM); stop it with $0 --stop"

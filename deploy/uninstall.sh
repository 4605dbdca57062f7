#!/usr/bin/env bash
# Remove the store-edge service. The store's data and settings stay unless you ask:
#
#   sudo deploy/uninstall.sh            # service, timer, releases gone; /var/lib/store-edge and
#                                       # /etc/store-edge kept (a later install.sh picks them up)
#   sudo deploy/uninstall.sh --purge    # also the data (the store database and its backups), the
#                                       # settings and the system user: take a backup elsewhere first
#
# STORE_EDGE_ROOT=DIR works under DIR, as install.sh does.
set -euo pipefail
ROOT=${STORE_EDGE_ROOT:-}
SERVICE_USER=${STORE_EDGE_USER:-store-edge}
PURGE=0
case "${1:-}" in
  --purge) PURGE=1 ;;
  "") ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
PREFIX="$ROOT/opt/store-edge"
ETC="$ROOT/etc/store-edge"
DATA_DIR="$ROOT/var/lib/store-edge"
UNITS="$ROOT/etc/systemd/system"
if [ -z "$ROOT" ]; then
  [ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root" >&2; exit 1; }
  systemctl disable --now store-edge-backup.timer store-edge.service >/dev/null 2>&1 || true
fi
rm -f "$UNITS/store-edge.service" "$UNITS/store-edge-backup.service" "$UNITS/store-edge-backup.timer"
[ -z "$ROOT" ] && systemctl daemon-reload
rm -rf "$PREFIX"
if [ "$PURGE" = 1 ]; then
  rm -rf "$DATA_DIR" "$ETC"
  if [ -z "$ROOT" ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then
    userdel "$SERVICE_USER"
  fi
  echo "store-edge removed, with its data and settings"
else
  echo "store-edge removed; kept the data in $DATA_DIR and the settings in $ETC (--purge removes them)"
fi

#!/usr/bin/env bash
# Install store-edge on a Debian or Ubuntu mini-PC as a systemd service; run it again to upgrade.
#
#   sudo deploy/install.sh --store-id S001 --name "Store 1" [--public-url URL] [--port 8000]
#                          [--host 0.0.0.0] [--timezone Asia/Shanghai] [--region CN]
#   sudo deploy/install.sh          # again, later, from a newer checkout: upgrade in place
#
# First run: a system user, the virtual environment from the lock (deploy/requirements.lock, hashes
# checked), /etc/store-edge/config.toml from the commented example, the data directory, a CJK font for
# posters, the store database and one key per role (printed once), the hardened service and its hourly
# backup timer, started and checked. Later runs: a new release beside the old one, the database backed
# up and migrated, the service restarted on it; the config, the data and the keys are kept. If the new
# release does not come up healthy, the previous one is put back.
#
# Layout: @PREFIX@ (/opt/store-edge) releases/<id>/{app,venv}, current -> the running release;
# /etc/store-edge/config.toml; /var/lib/store-edge (store.db, backups/); units in /etc/systemd/system.
#
# For tests and packaging: STORE_EDGE_ROOT=DIR installs everything under DIR instead of / (no user
# is created, the current user owns the files, no apt-get, no systemctl).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${STORE_EDGE_ROOT:-}
PY=${PYTHON:-python3}
SERVICE_USER=${STORE_EDGE_USER:-store-edge}
PREFIX="$ROOT/opt/store-edge"
ETC="$ROOT/etc/store-edge"
CONFIG="$ETC/config.toml"
DATA_DIR="$ROOT/var/lib/store-edge"
UNITS="$ROOT/etc/systemd/system"
KEEP_RELEASES=3

STORE_ID="" NAME="" PUBLIC_URL="" PORT=8000 HOST=0.0.0.0 TIMEZONE=Asia/Shanghai REGION=CN
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --store-id) STORE_ID=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --public-url) PUBLIC_URL=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    --timezone) TIMEZONE=$2; shift 2 ;;
    --region) REGION=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

if [ -z "$ROOT" ]; then
  [ "$(id -u)" = 0 ] || die "run as root (sudo deploy/install.sh ...); STORE_EDGE_ROOT=DIR installs under DIR"
  SYSTEMD=1
  as_service() { runuser -u "$SERVICE_USER" -- "$@"; }
else
  SERVICE_USER=$(id -un)
  SYSTEMD=0
  as_service() { "$@"; }
fi

# --- the machine ------------------------------------------------------------------------------------
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || die "Python 3.11 or newer is needed (Debian 12: apt-get install python3)"

apt_install() {
  if [ -z "$ROOT" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: $*"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    return 1
  fi
}

"$PY" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv \
  || die "python3-venv is missing (apt-get install python3-venv)"

if [ -z "$(ls /usr/share/fonts/opentype/noto/NotoSansCJK-* /usr/share/fonts/truetype/wqy/wqy-*.ttc 2>/dev/null)" ]; then
  apt_install fonts-noto-cjk || say "no CJK font: posters will answer 'font missing' until fonts-noto-cjk is installed"
fi

if [ -z "$ROOT" ] && ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  say "creating system user $SERVICE_USER"
  useradd --system --home-dir /var/lib/store-edge --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi

if [ ! -e "$CONFIG" ] && [ ! -e "$DATA_DIR/store.db" ] && { [ -z "$STORE_ID" ] || [ -z "$NAME" ]; }; then
  die "first install: give --store-id and --name (e.g. --store-id S001 --name \"Store 1\")"
fi

# --- the release: source and a virtual environment from the lock ------------------------------------
RELEASE=$(date -u +%Y%m%dT%H%M%SZ)-$(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null || echo local)
DEST="$PREFIX/releases/$RELEASE"
say "release $RELEASE into $DEST"
mkdir -p "$DEST/app"
for part in edge sync printers pos_plugin docs deploy pyproject.toml README.md; do
  [ -e "$SRC/$part" ] && cp -a "$SRC/$part" "$DEST/app/"
done
find "$DEST/app" -name __pycache__ -prune -exec rm -rf {} +
"$PY" -m venv "$DEST/venv"
"$DEST/venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
  -r "$SRC/deploy/requirements.lock" || die "installing the locked dependencies failed"
"$DEST/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$DEST/app" \
  || die "installing store-edge failed"
rm -rf "$DEST/app/build" "$DEST/app"/*.egg-info
SE="$DEST/venv/bin/store-edge"

# --- config and data ---------------------------------------------------------------------------------
mkdir -p "$ETC" "$DATA_DIR"
if [ ! -e "$CONFIG" ]; then
  say "writing $CONFIG (edit it, then: systemctl restart store-edge)"
  sed -e "s|@DATA_DIR@|$DATA_DIR|" -e "s|@HOST@|$HOST|" -e "s|@PORT@|$PORT|" \
    "$SRC/deploy/config.example.toml" > "$CONFIG"
else
  say "keeping $CONFIG"
fi
# Read back what the config says (the user may have changed the data dir, port or backup places).
eval "$("$DEST/venv/bin/python" - "$CONFIG" <<'PYEOF'
import shlex, sys
from edge.service_config import ConfigError, load
try:
    c = load(sys.argv[1])
except ConfigError as exc:
    print(f"die {shlex.quote(str(exc))}")
    raise SystemExit
paths = [p for p in (c.backup.dir, c.backup.copy_to) if p]
print(f"DATA_DIR={shlex.quote(c.data_dir)} PORT={c.http.port} HEALTH_HOST={shlex.quote(c.http.host)}")
print(f"BACKUP_PATHS={shlex.quote(' '.join('-' + p for p in paths))}")
PYEOF
)"
[ "$HEALTH_HOST" = 0.0.0.0 ] && HEALTH_HOST=127.0.0.1
mkdir -p "$DATA_DIR"
if [ -z "$ROOT" ]; then
  chown root:"$SERVICE_USER" "$ETC" "$CONFIG"
  chmod 750 "$ETC"
  chmod 640 "$CONFIG"
  chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
fi
chmod 750 "$DATA_DIR"

# --- the store: created once, with its keys; upgraded (backup first) on later runs -----------------------
FIRST=0
if [ ! -e "$DATA_DIR/store.db" ]; then
  [ -n "$STORE_ID" ] && [ -n "$NAME" ] || die "first install: give --store-id and --name"
  FIRST=1
  say "creating store $STORE_ID in $DATA_DIR"
  if [ -z "$PUBLIC_URL" ]; then  # what customers' phones on the store Wi-Fi reach: this machine's LAN address
    LAN_IP=$(hostname -I 2>/dev/null | awk '{print $1}' || true)
    PUBLIC_URL="http://${LAN_IP:-127.0.0.1}:$PORT"
  fi
  as_service "$SE" init --data-dir "$DATA_DIR" --store-id "$STORE_ID" --name "$NAME" --region "$REGION" \
    --timezone "$TIMEZONE" --public-url "$PUBLIC_URL" >/dev/null
  LANE=$(as_service "$SE" keys create --role lane --label "installer" --data-dir "$DATA_DIR" 2>/dev/null)
  MANAGER=$(as_service "$SE" keys create --role manager --label "installer" --data-dir "$DATA_DIR" 2>/dev/null)
  HQ=$(as_service "$SE" keys create --role hq --label "installer" --data-dir "$DATA_DIR" 2>/dev/null)
fi

# --- the units -------------------------------------------------------------------------------------------
mkdir -p "$UNITS"
for unit in store-edge.service store-edge-backup.service store-edge-backup.timer; do
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@CONFIG@|$CONFIG|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
      -e "s|@USER@|$SERVICE_USER|g" -e "s|@BACKUP_PATHS@|$BACKUP_PATHS|g" \
      "$SRC/deploy/systemd/$unit" > "$UNITS/$unit"
done

PREVIOUS=$(readlink "$PREFIX/current" 2>/dev/null || true)
switch_to() { ln -sfn "$1" "$PREFIX/current.new" && mv -Tf "$PREFIX/current.new" "$PREFIX/current"; }

healthy() {
  "$DEST/venv/bin/python" - "$HEALTH_HOST" "$PORT" <<'PYEOF'
import sys, time, httpx
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if httpx.get(f"http://{sys.argv[1]}:{sys.argv[2]}/healthz", timeout=2).status_code == 200:
            raise SystemExit(0)
    except httpx.TransportError:
        pass
    time.sleep(0.5)
raise SystemExit(1)
PYEOF
}

if [ "$SYSTEMD" = 1 ]; then
  systemctl daemon-reload
  if [ "$FIRST" = 0 ] && systemctl is-active --quiet store-edge; then
    say "stopping the service for the upgrade"
    systemctl stop store-edge
  fi
  # Upgrade the database before the switch, as the service user, so a failure shows here (a backup is
  # taken first when there are migrations to apply).
  as_service "$SE" upgrade --config "$CONFIG"
  switch_to "$DEST"
  systemctl enable store-edge.service store-edge-backup.timer >/dev/null 2>&1
  systemctl start store-edge-backup.timer
  systemctl restart store-edge.service
  if ! healthy; then
    if [ -n "$PREVIOUS" ]; then
      say "the new release is not healthy: back to $PREVIOUS (journalctl -u store-edge says why)"
      switch_to "$PREVIOUS"
      systemctl restart store-edge.service
    fi
    die "store-edge did not answer /healthz on port $PORT: journalctl -u store-edge -n 50"
  fi
else
  as_service "$SE" upgrade --config "$CONFIG" >/dev/null
  switch_to "$DEST"
fi

# Old releases beyond the last few go (the running one and the previous one always stay).
ls -1d "$PREFIX"/releases/*/ 2>/dev/null | sort | head -n -"$KEEP_RELEASES" | while read -r old; do
  old=${old%/}
  [ "$old" = "$DEST" ] || [ "$old" = "$PREVIOUS" ] || rm -rf "$old"
done

say "installed: $PREFIX/current -> $RELEASE"
if [ "$FIRST" = 1 ]; then
  cat <<EOF

  Keys for this store. They are stored hashed and are NOT shown again: write them down now.
    lane key:    $LANE
    manager key: $MANAGER
    hq key:      $HQ
  (more later: sudo -u $SERVICE_USER store-edge keys create --role lane --data-dir $DATA_DIR)

EOF
fi
cat <<EOF
  service:  systemctl status store-edge     logs: journalctl -u store-edge -f
  backups:  hourly (store-edge-backup.timer) into ${DATA_DIR}/backups unless the config says otherwise
  checkup:  sudo -u $SERVICE_USER $PREFIX/current/venv/bin/store-edge doctor --config $CONFIG
  pages:    http://$HEALTH_HOST:$PORT/  (till, manager, API docs)
EOF

#!/usr/bin/env bash
# The README's two commands:
#   bash deploy/dev.sh demo [store-edge demo args]   set up, then serve the demo store on 127.0.0.1:8000
#   bash deploy/dev.sh test [pytest args]            set up what the tests need, then run them
# Works on a fresh machine with Python 3.11+; as root it also installs the Debian packages the
# tests drive for real (chromium for page tests, a CJK font for posters, PostgreSQL's server for the
# HQ warehouse tests, which start their own throwaway cluster; the demo needs only the font).
# Python packages come from the locks (deploy/requirements*.lock, hashes checked), so the demo, the
# tests, CI and an installed store run the same versions.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

venv() {  # $1: the lock (deploy/requirements.lock or deploy/requirements-test.lock)
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r "$1"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
}

have_cjk_font() {
  [ -n "${STORE_EDGE_CJK_FONT:-}" ] && [ -e "$STORE_EDGE_CJK_FONT" ] && return 0
  [ -n "$(ls /usr/share/fonts/opentype/noto/NotoSansCJK-* /usr/share/fonts/truetype/wqy/wqy-*.ttc 2>/dev/null)" ]
}

# $1: what is missing is fatal (1) or only worth a warning (0); then the Debian packages wanted.
system_packages() {
  local required=$1 want=()
  shift
  for pkg in "$@"; do
    case "$pkg" in
      chromium) command -v chromium >/dev/null 2>&1 || want+=(chromium) ;;
      fonts-noto-cjk) have_cjk_font || want+=(fonts-noto-cjk) ;;
      systemd) command -v systemd-analyze >/dev/null 2>&1 || want+=(systemd) ;;
      postgresql) [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || command -v initdb >/dev/null 2>&1 \
                    || want+=(postgresql) ;;
    esac
  done
  [ ${#want[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${want[*]} (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  elif [ "$required" = 1 ]; then
    echo "missing system packages: ${want[*]} (install them, or run as root on Debian)" >&2
    exit 1
  else
    echo "note: ${want[*]} missing: posters will answer 'font missing' (problem+json) until it is installed" \
         "(apt-get install fonts-noto-cjk, or set STORE_EDGE_CJK_FONT to a CJK .ttc/.otf file)" >&2
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  demo)
    system_packages 0 fonts-noto-cjk
    venv deploy/requirements.lock
    exec .venv/bin/store-edge demo "$@"
    ;;
  test)
    # systemd: the deploy tests check the service units with systemd-analyze
    system_packages 1 chromium fonts-noto-cjk systemd postgresql
    venv deploy/requirements-test.lock
    exec .venv/bin/python -m pytest -n 2 -q "$@"
    ;;
  *)
    echo "usage: bash deploy/dev.sh demo|test [args]" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The README's two commands:
#   bash deploy/dev.sh demo [store-edge demo args]   set up, then serve the demo store on 127.0.0.1:8000
#   bash deploy/dev.sh test [pytest args]            set up what the tests need, then run them
# Works on a fresh machine with Python 3.11+; as root it also installs the Debian packages the
# tests drive for real (chromium for page tests, a CJK font for posters, PostgreSQL's server for the
# HQ warehouse tests, which start their own throwaway cluster: no service needs to be running).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$1"
}

system_packages() {
  local want=()
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  [ -n "$(ls /usr/share/fonts/opentype/noto/NotoSansCJK-* 2>/dev/null)" ] || want+=(fonts-noto-cjk)
  [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || command -v initdb >/dev/null 2>&1 \
    || want+=(postgresql)
  if [ ${#want[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing ${want[*]} (Debian packages)"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
    else
      echo "missing system packages: ${want[*]} (install them, or run as root on Debian)" >&2
      exit 1
    fi
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  demo)
    venv ""
    exec .venv/bin/store-edge demo "$@"
    ;;
  test)
    system_packages
    venv "[test]"
    exec .venv/bin/python -m pytest -n 2 -q "$@"
    ;;
  *)
    echo "usage: bash deploy/dev.sh demo|test [args]" >&2
    exit 2
    ;;
esac

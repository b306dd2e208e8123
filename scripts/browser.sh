#!/usr/bin/env bash
# The browser the dashboard's tests drive (playwright-core, never a browser downloaded by Playwright):
# Debian's `chromium` at /usr/bin/chromium, installed with apt-get when missing and we are root.
# CHROMIUM_PATH points the tests at another Chromium.
set -euo pipefail
want=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ -x "$want" ]]; then exit 0; fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then echo "browser: CHROMIUM_PATH=$want is not an executable" >&2; exit 1; fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "browser: installing Chromium (apt-get install chromium) for the dashboard's tests…" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [[ -x "$want" ]] && exit 0
fi
echo "browser: Chromium is not installed. Install it (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable." >&2
exit 1

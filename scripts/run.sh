#!/usr/bin/env bash
# What the npm scripts run: install dependencies when needed, bring up the services, then
#   start   the tutor (web + worker; the console chat when no channel token is set)
#   web     only the HTTP role          worker  only the queue workers
#   test    the whole test suite        cli     the admin CLI
#   demo-telegram   the Telegram channel against a local fake Bot API (no token needed)
#   demo-zalo  the tutor on Zalo against the local fake Zalo server (no token)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmd=${1:-start}
shift || true

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( major < 20 )); then echo "cds-tutor needs Node.js 20 or newer (found $(node --version 2>/dev/null || echo none))" >&2; exit 1; fi

# Install (again) when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "Installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

bash scripts/services.sh

# The dashboard (/admin) and the admin API need ADMIN_TOKEN: without one, the first start makes a
# random one in .data/admin-token (readable by this user only), prints it once, and reuses it after.
admin_token() {
  if [[ -n "${ADMIN_TOKEN:-}" ]]; then return; fi
  local file=.data/admin-token url="${PUBLIC_BASE_URL:-http://localhost:${HTTP_PORT:-3000}}"
  url=${url%/}
  if [[ ! -s $file ]]; then
    mkdir -p .data
    (umask 077 && node -e 'process.stdout.write("cdsadm_" + require("crypto").randomBytes(24).toString("base64url"))' >"$file")
    chmod 600 "$file"
    echo "Dashboard: $url/admin — sign in with this admin token (shown once; kept in .data/admin-token):" >&2
    echo "  $(cat "$file")" >&2
  else
    echo "Dashboard: $url/admin — sign in with the admin token in .data/admin-token" >&2
  fi
  ADMIN_TOKEN=$(cat "$file")
  export ADMIN_TOKEN
}

case "$cmd" in
  start) admin_token; exec node --import tsx src/main.ts all "$@" ;;
  web) exec node --import tsx src/main.ts web "$@" ;;
  worker) exec node --import tsx src/main.ts worker "$@" ;;
  cli) exec node --import tsx src/cli/index.ts "$@" ;;
  test) bash scripts/browser.sh && npx tsc --noEmit -p tsconfig.json && exec npx vitest run "$@" ;;
  demo-telegram) exec node --import tsx scripts/demo-telegram.ts "$@" ;;
  demo-zalo) exec node --import tsx scripts/demo-zalo.ts "$@" ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac

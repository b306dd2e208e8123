#!/usr/bin/env bash
# Brings up what cds-tutor needs, unless something already answers at REDIS_URL / MONGODB_URL:
#   Redis (Debian's redis-server, installed when missing and we may) and a MongoDB-compatible
#   server: mongod when installed, else FerretDB 1.24.2 (SQLite backend), built once with Go.
# Data lives under .data/ (git-ignored). A second run reuses the running services.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
mkdir -p "$data"
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
MONGODB_URL=${MONGODB_URL:-mongodb://127.0.0.1:27017/cds_tutor}
FERRETDB_VERSION=v1.24.2

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: %s\n' "$*" >&2; exit 1; }

# host and port of a redis:// or mongodb:// URL (first host only).
host_of() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; rest=${rest%%,*}; echo "${rest%%:*}"; }
port_of() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; rest=${rest%%,*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }
wait_for() { for _ in $(seq 1 "${3:-60}"); do answers "$1" "$2" && return 0; sleep 0.5; done; return 1; }

can_install() { [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; }

redis_up() {
  local host port; host=$(host_of "$REDIS_URL"); port=$(port_of "$REDIS_URL" 6379)
  if answers "$host" "$port"; then return 0; fi
  is_local "$host" || die "nothing answers at REDIS_URL ($host:$port); start Redis there or unset REDIS_URL"
  if ! command -v redis-server >/dev/null; then
    if can_install; then
      say "installing redis-server (Debian package)"
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      die "Redis is not installed: install it (sudo apt-get install redis-server) or set REDIS_URL"
    fi
  fi
  mkdir -p "$data/redis"
  say "starting Redis on $host:$port (data in .data/redis)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$data/redis" \
    --appendonly yes --maxmemory-policy noeviction --logfile "$data/redis/redis.log" --pidfile "$data/redis/redis.pid" >/dev/null
  wait_for 127.0.0.1 "$port" 40 || die "Redis did not start; see .data/redis/redis.log"
}

ferretdb_bin() {
  # "-idx": built with the _id index fix below; a binary built without it is not reused.
  local bin="$data/bin/ferretdb-$FERRETDB_VERSION-idx"
  if [[ -x $bin ]]; then echo "$bin"; return; fi
  command -v go >/dev/null || die "no MongoDB and no Go to build FerretDB: install Go 1.22+ (or mongod), or set MONGODB_URL"
  say "building FerretDB $FERRETDB_VERSION once (go install …/cmd/ferretdb@$FERRETDB_VERSION; a few minutes)"
  local src; src=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $src ]] || die "could not download the FerretDB $FERRETDB_VERSION module"
  # The published module leaves out build/version/version.txt (it is generated), and a binary
  # built without it refuses to start; build from a copy that has it.
  local work="$data/ferretdb-src"
  rm -rf "$work" && cp -r "$src" "$work" && chmod -R u+w "$work"
  echo "$FERRETDB_VERSION" > "$work/build/version/version.txt"
  # FerretDB 1.24's SQLite backend creates each collection's unique _id index on
  # `_ferretdb_sjson->"_id"` but queries `_ferretdb_sjson->'$._id'`: the same JSON path written
  # differently, so SQLite never uses the index and every find, update and delete by _id scans
  # the whole table (seen with EXPLAIN QUERY PLAN: SCAN, not SEARCH … USING INDEX). Query the
  # way the index is written (internal/backends/sqlite/metadata/metadata.go, IDColumn).
  local meta="$work/internal/backends/sqlite/metadata/metadata.go"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$meta"
  grep -q 'IDColumn = DefaultColumn + `->"_id"`' "$meta" || die "could not apply the _id index fix to FerretDB $FERRETDB_VERSION"
  mkdir -p "$data/bin"
  (cd "$work" && go build -o "$bin" ./cmd/ferretdb) || die "building FerretDB failed (see above)"
  rm -rf "$work"
  echo "$bin"
}

mongo_up() {
  local host port; host=$(host_of "$MONGODB_URL"); port=$(port_of "$MONGODB_URL" 27017)
  if answers "$host" "$port"; then return 0; fi
  is_local "$host" || die "nothing answers at MONGODB_URL ($host:$port); start MongoDB there or unset MONGODB_URL"
  if command -v mongod >/dev/null; then
    mkdir -p "$data/mongo"
    say "starting mongod on $host:$port (data in .data/mongo)"
    mongod --dbpath "$data/mongo" --bind_ip 127.0.0.1 --port "$port" --fork --logpath "$data/mongo/mongod.log" >/dev/null
  else
    local bin; bin=$(ferretdb_bin)
    mkdir -p "$data/ferretdb"
    say "starting FerretDB $FERRETDB_VERSION (SQLite) on $host:$port (data in .data/ferretdb)"
    nohup setsid "$bin" --handler=sqlite --sqlite-url="file:$data/ferretdb/" --listen-addr="127.0.0.1:$port" \
      --state-dir="$data/ferretdb" --telemetry=disable --debug-addr=127.0.0.1:0 --log-level=warn \
      >"$data/ferretdb/ferretdb.log" 2>&1 < /dev/null &
  fi
  wait_for 127.0.0.1 "$port" 60 || die "the MongoDB-compatible server did not start; see .data/"
}

redis_up
mongo_up

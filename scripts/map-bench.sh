#!/usr/bin/env bash
# The 100,000-account map benchmark: builds the site and the release server, imports N synthetic
# accounts (default 100000) into a fresh SQLite file, serves it, and measures in headless Chromium
# how long the map takes from navigation to its first `idle` with every point loaded. Prints
# figures; asserts nothing. Usage: scripts/map-bench.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

count="${1:-100000}"
runs="${2:-3}"
scripts/build.sh --release
server="${CARGO_TARGET_DIR:-target}/release/wilayah"
dir=target/bench
mkdir -p "$dir"
db="$dir/map-$count.db"
rm -f "$db" "$db-wal" "$db-shm"

step "generating $count accounts"
cargo run -q -p wilayah-tests --bin map-bench -- csv "$count" > "$dir/accounts-$count.csv"
step "importing them into $db"
DATABASE_URL="sqlite://$db" "$server" import accounts "$dir/accounts-$count.csv"

export WILAYAH_BENCH_EMAIL=bench@example.com WILAYAH_PASSWORD="bench password $RANDOM$RANDOM"
DATABASE_URL="sqlite://$db" "$server" user add --email "$WILAYAH_BENCH_EMAIL" --role admin

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL="sqlite://$db" WILAYAH_NO_DEMO=true "$server" --listen "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || die "the server did not become ready (see $dir/server.log)"

step "measuring in headless Chromium ($runs runs, fresh profile each)"
cargo run -q -p wilayah-tests --bin map-bench -- measure "http://127.0.0.1:$port/" "$runs"

#!/usr/bin/env bash
# Builds Wilayah (first time: a few minutes) and starts it on the embedded default: a SQLite file
# under data/, created, migrated and filled with demo data on first start. Extra arguments go to
# the server (see `--help`), e.g. scripts/run.sh --listen 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --release
echo "On a fresh database the server prints a one-time link to create the first admin (look for 'No user exists yet')."
exec "${CARGO_TARGET_DIR:-target}/release/wilayah" "$@"

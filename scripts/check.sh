#!/usr/bin/env bash
# Static checks CI runs besides the tests: formatting, clippy with warnings as errors, and the
# two feature sets of the app crate compiled on their own (ssr natively, hydrate for wasm32).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_wasm_target
step "cargo fmt --check"
cargo fmt --all --check
step "clippy: server, shared, tests (app with ssr)"
cargo clippy --workspace --exclude wilayah-frontend --all-targets -- -D warnings
step "clippy: app with ssr alone"
cargo clippy -p wilayah-app --features ssr -- -D warnings
step "clippy: app with hydrate and the wasm entry, for wasm32"
cargo clippy -p wilayah-app -p wilayah-frontend --features wilayah-app/hydrate --target wasm32-unknown-unknown -- -D warnings
step "the shared core (route optimiser included) builds for wasm32 on its own"
cargo build -p wilayah-shared --target wasm32-unknown-unknown
step "checks passed"

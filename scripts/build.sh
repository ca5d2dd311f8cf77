#!/usr/bin/env bash
# Builds Wilayah: the wasm bundle and static site under target/site, then the server binary.
# Idempotent: tools are installed once, and every step is skipped when its inputs are unchanged.
#
#   scripts/build.sh             site + release server (what scripts/run.sh uses)
#   scripts/build.sh --site-only site only (the test suite builds its own server)
#   scripts/build.sh --debug     site + debug server
#
# Environment: CARGO_TARGET_DIR (cargo's output), WILAYAH_TOOLS (where the wasm-bindgen CLI is
# installed; default .tools/ in the project), WILAYAH_WASM_OPT=0 to skip wasm-opt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

server_profile=release
build_server=1
for arg in "$@"; do
  case "$arg" in
    --site-only) build_server=0 ;;
    --debug) server_profile=dev ;;
    --release) server_profile=release ;;
    *) die "unknown option $arg (use --site-only, --debug or --release)" ;;
  esac
done

target_dir="${CARGO_TARGET_DIR:-target}"
site="target/site"
mkdir -p "$site/pkg" "$site/vendor" "$site/basemap"

# 1. Toolchain pieces: the wasm target and the wasm-bindgen CLI that Cargo.lock pins.
ensure_wasm_target
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
[ -n "$bindgen_version" ] || die "wasm-bindgen is not in Cargo.lock"
tools="${WILAYAH_TOOLS:-$PWD/.tools}"
bindgen="$tools/wasm-bindgen-$bindgen_version/bin/wasm-bindgen"
if [ ! -x "$bindgen" ]; then
  step "installing wasm-bindgen-cli $bindgen_version into $tools (once, a few minutes)"
  # No --locked: the CLI's own lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --root "$tools/wasm-bindgen-$bindgen_version"
fi

# 2. Front-end packages from npm, pinned in package.json / package-lock.json.
ensure_npm
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (MapLibre GL, terra-draw, world-atlas, topojson-client, binaryen)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. The wasm bundle (cargo decides itself whether anything changed).
step "building the wasm bundle"
cargo build -p wilayah-frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm_in="$target_dir/wasm32-unknown-unknown/wasm-release/wilayah_frontend.wasm"
if [ ! -f "$site/pkg/wilayah.wasm" ] || [ "$wasm_in" -nt "$site/pkg/wilayah.wasm" ]; then
  step "wasm-bindgen"
  "$bindgen" --target web --no-typescript --out-dir "$site/pkg" --out-name wilayah "$wasm_in"
  mv "$site/pkg/wilayah_bg.wasm" "$site/pkg/wilayah.wasm"
  if [ "${WILAYAH_WASM_OPT:-1}" != 0 ]; then
    step "wasm-opt -Oz"
    node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$site/pkg/wilayah.wasm" -o "$site/pkg/wilayah.opt.wasm"
    mv "$site/pkg/wilayah.opt.wasm" "$site/pkg/wilayah.wasm"
  fi
  gzip -kf9 "$site/pkg/wilayah.wasm" "$site/pkg/wilayah.js"
  touch "$site/pkg/wilayah.wasm"
fi

# 4. Static assets: our public/ folder, MapLibre, and the offline basemap (TopoJSON -> GeoJSON).
cp -R public/. "$site/"
for f in maplibre-gl.js maplibre-gl.css; do
  if [ ! -f "$site/vendor/$f" ] || [ "node_modules/maplibre-gl/dist/$f" -nt "$site/vendor/$f" ]; then
    cp "node_modules/maplibre-gl/dist/$f" "$site/vendor/$f"
    gzip -kf9 "$site/vendor/$f"
  fi
done
# terra-draw and its MapLibre adapter (UMD builds) for the planner's polygon drawing.
for src in node_modules/terra-draw/dist/terra-draw.umd.js \
           node_modules/terra-draw-maplibre-gl-adapter/dist/terra-draw-maplibre-gl-adapter.umd.js; do
  f="$site/vendor/$(basename "$src")"
  if [ ! -f "$f" ] || [ "$src" -nt "$f" ]; then
    cp "$src" "$f"
    gzip -kf9 "$f"
  fi
done
basemap="$site/basemap/countries.geojson"
if [ ! -f "$basemap" ] || [ node_modules/world-atlas/countries-50m.json -nt "$basemap" ]; then
  step "converting the Natural Earth basemap to GeoJSON"
  node_modules/.bin/topo2geo "countries=$basemap" < node_modules/world-atlas/countries-50m.json
  gzip -kf9 "$basemap"
fi

# 5. The server.
if [ "$build_server" = 1 ]; then
  step "building the server ($server_profile)"
  cargo build -p wilayah-server --bin wilayah --profile "$server_profile"
fi
step "build done: site in $site"

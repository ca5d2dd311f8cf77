#!/usr/bin/env bash
# Sets up and runs the whole test suite: unit and property tests, HTTP tests against a real
# SQLite file, the same HTTP tests against PostgreSQL when one is reachable, and the browser
# test in headless Chromium. Installs what it needs (Debian's chromium + chromium-driver and
# python3-aiosmtpd, npm packages, the wasm-bindgen CLI) on first use.
#
# Environment: WILAYAH_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test, the
# database the scratch test databases are created from); WILAYAH_REQUIRE_POSTGRES=1 makes an
# unreachable PostgreSQL an error instead of a skip (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "installing Chromium and ChromeDriver for the browser test (Debian packages)"
  apt_install chromium chromium-driver
fi

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  step "installing aiosmtpd for the e-mail campaign tests' SMTP server on loopback (Debian package)"
  apt_install python3-aiosmtpd
fi

scripts/build.sh --site-only

step "tests on SQLite"
env -u DATABASE_URL cargo test --workspace --exclude wilayah-frontend

pg_url="${WILAYAH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_hostport=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#' <<<"$pg_url")
pg_host=${pg_hostport%:*}
pg_port=${pg_hostport##*:}
[ "$pg_port" != "$pg_hostport" ] || pg_port=5432
if (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; then
  step "the same HTTP and browser tests on PostgreSQL ($pg_host:$pg_port)"
  # The same package selection as the SQLite run, so cargo resolves the same features and
  # reuses its build (selecting wilayah-tests alone rebuilt everything).
  DATABASE_URL="$pg_url" cargo test --workspace --exclude wilayah-frontend --test http --test browser
elif [ "${WILAYAH_REQUIRE_POSTGRES:-0}" = 1 ]; then
  die "PostgreSQL is not reachable at $pg_host:$pg_port and WILAYAH_REQUIRE_POSTGRES=1"
else
  step "PostgreSQL not reachable at $pg_host:$pg_port: skipped the PostgreSQL run (SQLite run passed)"
fi
step "all tests passed"

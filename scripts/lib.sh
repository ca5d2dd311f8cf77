# Shared helpers for the project scripts (sourced, not run).

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs apt-get install for packages that are missing, as root or through sudo.
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null || die "please install these packages with your package manager: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# The wasm32 target the browser half of the app compiles for (rustup installs only the host's).
ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_npm() {
  command -v npm >/dev/null && return
  step "installing Node.js and npm (Debian packages)"
  apt_install nodejs npm
}

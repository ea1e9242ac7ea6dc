#!/usr/bin/env bash
# Installs whatever Rondo needs that is missing, and prints nothing else when all is there.
# Sourced by run.sh and test.sh; exports RUSTUP_TOOLCHAIN for a toolchain that can build wasm32.
# Usage: source scripts/setup.sh [run|test|bench]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:-run}"
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
APT_UPDATED=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $APT_UPDATED = 0 ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Rust itself comes from rustup (README prerequisite); cargo must be on PATH.
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { log "cargo not found: install Rust with rustup first"; exit 1; }

apt_install pkg-config libssl-dev ca-certificates curl gzip brotli

# --- rustfmt and clippy for the lint gates in test.sh, on rustup's own toolchain ---
RONDO_LINT_TOOLCHAIN="${RONDO_LINT_TOOLCHAIN:-$(rustup show active-toolchain 2>/dev/null | cut -d' ' -f1)}"
export RONDO_LINT_TOOLCHAIN
if [ "$MODE" = test ]; then
  for c in clippy rustfmt; do
    rustup component list --toolchain "$RONDO_LINT_TOOLCHAIN" --installed 2>/dev/null | grep -q "^$c" \
      || rustup component add --toolchain "$RONDO_LINT_TOOLCHAIN" "$c" >/dev/null 2>&1 \
      || log "could not install $c for $RONDO_LINT_TOOLCHAIN"
  done
fi

# --- wasm32 target: rustup first, Debian's rustc-web toolchain as the fallback ---
wasm_std_ok() { # $1: sysroot
  ls "$1"/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1
}
if [ -z "${RONDO_TOOLCHAIN:-}" ]; then
  if wasm_std_ok "$(rustc --print sysroot)"; then
    RONDO_TOOLCHAIN="$(rustup show active-toolchain 2>/dev/null | cut -d' ' -f1)"
  elif rustup toolchain list 2>/dev/null | grep -q '^debian-web' && wasm_std_ok /usr; then
    RONDO_TOOLCHAIN=debian-web
  elif rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    RONDO_TOOLCHAIN="$(rustup show active-toolchain 2>/dev/null | cut -d' ' -f1)"
  else
    log "rustup cannot download the wasm32 target: building it from Debian's rustc-web sources"
    apt_install rustc-web rust-web-src cargo-web lld-22
    if ! wasm_std_ok /usr; then
      tmp="$(mktemp -d)"
      mkdir -p "$tmp/src"
      cat > "$tmp/Cargo.toml" <<'TOML'
[package]
name = "wasm-std-seed"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"
[profile.release]
panic = "abort"
TOML
      echo '#[no_mangle] pub extern "C" fn seed() -> u32 { 1 }' > "$tmp/src/lib.rs"
      (cd "$tmp" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
      $SUDO mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib
      for f in "$tmp"/target/wasm32-unknown-unknown/release/deps/lib*.rlib; do
        case "$(basename "$f")" in libwasm_std_seed*) ;; *) $SUDO cp "$f" /usr/lib/rustlib/wasm32-unknown-unknown/lib/ ;; esac
      done
      rm -rf "$tmp"
    fi
    rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web /usr
    RONDO_TOOLCHAIN=debian-web
  fi
fi
export RUSTUP_TOOLCHAIN="$RONDO_TOOLCHAIN"
export RONDO_TOOLCHAIN

# --- wasm-bindgen-cli, the exact version locked in Cargo.lock ---
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 2 minutes)"
  cargo install -q wasm-bindgen-cli --version "=$WB_VERSION" --locked \
    || cargo install -q wasm-bindgen-cli --version "=$WB_VERSION"
fi

# --- wasm-opt for the client: binaryen from npm (Debian's binaryen 108 is too old) ---
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
BUILD_TOOLS="$ROOT/scripts/build-tools"
if [ ! -x "$BUILD_TOOLS/node_modules/.bin/wasm-opt" ] || [ "$BUILD_TOOLS/package-lock.json" -nt "$BUILD_TOOLS/node_modules/.package-lock.json" ]; then
  log "installing build tools (binaryen) from npm"
  (cd "$BUILD_TOOLS" && (npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent))
fi

pip_install() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
if [ "$MODE" = test ] || [ "$MODE" = bench ]; then
  # Radicale: a real CalDAV server for integration and end-to-end tests and the benchmarks.
  if ! python3 -c 'import radicale' 2>/dev/null; then
    log "installing Radicale from PyPI"
    pip_install radicale
  fi
fi
if [ "$MODE" = bench ] && ! command -v vdirsyncer >/dev/null; then
  # What the sync benchmark compares itself with.
  log "installing vdirsyncer from PyPI"
  pip_install vdirsyncer
  export PATH="$HOME/.local/bin:$PATH"
fi
if [ "$MODE" = test ]; then
  apt_install chromium
  # The SurrealDB server for the scale-out test (built from crates.io once, outside the clone).
  source "$ROOT/scripts/surreal-server.sh"
  if [ ! -d "$ROOT/end2end/node_modules/playwright-core" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    log "installing end-to-end test packages"
    (cd "$ROOT/end2end" && (npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent))
  fi
fi

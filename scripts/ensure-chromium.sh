#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core (which never downloads a browser).
# Installs it when missing and this user may (root with apt-get); otherwise says how, and the
# browser tests then fail with the same message.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is not installed: the browser tests need it (Debian: sudo apt-get install chromium)." >&2
exit 0

#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when missing: headless Chromium (HTML report
# tests) and PostgreSQL (history store tests). Needs root, as on the project's CI machines.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Japanese glyphs for report screenshots
fc-list :lang=ja 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against (real components, not mocks:
# docs/architecture.md#what-the-parts-underneath-do): Mosquitto, socat, pcscd with the vpcd
# virtual reader, PostgreSQL server and openssl (test CA), CJK fonts for receipt previews, and
# systemd-notify with python3 (a stand-in notify socket) for the sd_notify test, and Debian's
# chromium (/usr/bin/chromium) that playwright-core drives for the web console's browser tests,
# and python3-openpyxl that reads the daily close's .xlsx back. Safe to run again: it installs
# only what is missing. Needs root (or sudo) on Debian 12. (postgresql-15 starts a system
# cluster on 5432 where systemd runs; the tests start their own on free ports.)
set -euo pipefail

packages=(
  mosquitto mosquitto-clients socat openssl postgresql-15
  pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools
  fonts-wqy-microhei fonts-dejavu-core
  systemd python3 python3-openpyxl
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start mosquitto and pcscd as services where systemd runs; the
# tests start their own instances on free ports, so a system one is harmless.
echo "test dependencies: installed"

#!/usr/bin/env bash
# The full test command (README "The two commands", step 2). Works on a bare machine that has
# only Node, npm, python3, make and g++: installs the Debian packages the tests need when
# missing (as root), installs npm dependencies, type-checks, lints, checks the formatting, then runs
# every test layer.
# The services the tests use (socat pty pairs, ...) are started and stopped by the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: command → package (checked by command), then packages checked by name.
declare -A wanted=(
  [socat]=socat
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  # Kiosk e2e (issue 7): the renderer in Debian Chromium, driven by playwright-core.
  [chromium]=chromium
  # Metrics (issue 16): a real Prometheus scrapes the gateway; promtool checks and tests the alert rules.
  [prometheus]=prometheus
  [promtool]=prometheus
  # The shipped systemd unit is checked with systemd-analyze verify (no running systemd needed).
  [systemd-analyze]=systemd
)
missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
# Build headers some optional npm modules need (nfc-pcsc builds against winscard.h).
# PostgreSQL's initdb/pg_ctl live outside PATH (/usr/lib/postgresql/15/bin): check the package.
# fonts-liberation: the kiosk screenshots need real fonts (chromium only recommends them).
for pkg in libpcsclite-dev postgresql fonts-liberation; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# Card tests (issue 3): pcscd and the vpcd virtual reader driver (vsmartcard-vpcd); checked by
# package, since pcscd lives in /usr/sbin, which need not be on PATH.
for pkg in pcscd vsmartcard-vpcd; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "test:all: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test:all: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm dependencies: a fresh checkout (CI) has none; rebuild also after a Debian package was
# added, so optional native modules (nfc-pcsc) get built against it.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || ((${#missing[@]})); then
  npm ci --no-audit --no-fund
fi

echo "test:all: type-check"
npx tsc -p tsconfig.json --noEmit
echo "test:all: lint"
npx eslint .
echo "test:all: format (prettier --check; npm run format fixes it)"
npm run --silent format:check

mkdir -p .trouw
echo "test:all: tests (unit, integration, chaos, e2e)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.trouw/vitest-report.json || status=$?
node -e '
  const r = require("./.trouw/vitest-report.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status

#!/usr/bin/env bash
# Builds the Debian package of the till agent: cardterm_<version>-1_<arch>.deb
# (docs/deploy.md, "Install with the Debian package").
#
#   scripts/build-deb.sh [--out DIR]        (default DIR: ./dist-deb)
#
# What goes where on the till:
#   /usr/lib/cardterm/          the app: compiled JS, production node_modules, package.json
#   /usr/bin/cardterm           the agent's command (not cardterm-hq nor the demo: head office
#                               and its PGlite ledger are not the till's, see TILL_SOURCES)
#   /lib/systemd/system/cardterm.service   with its watchdog (deploy/systemd/)
#   /lib/udev/rules.d/99-cardterm.rules    readers and printers for group cardterm (deploy/udev/)
#   /etc/cardterm/cardterm.yaml a starting config, a conffile (deploy/debian/cardterm.yaml)
#   /var/lib/cardterm           the journal, made by postinst for the `cardterm` system user
#   /usr/share/bash-completion/completions/   made by `cardterm completion bash`
#   /usr/share/doc/cardterm/    README, docs/ and config/examples/
#
# Runs from a checkout where `npm ci` has been run (its node_modules: native modules built
# for this machine, so the package is for this architecture). Nothing is downloaded and
# the checkout is not written to: everything is staged in a temporary directory.
#
# The JS is transpiled by esbuild, not tsc: the same ES2022 modules in a second instead of
# half a minute (type errors are `npm test`'s to find; the package test runs in it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dist-deb"
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for tool in dpkg-deb dpkg node npm; do
    command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool is needed and not installed" >&2; exit 1; }
done
[ -d "$root/node_modules" ] || { echo "build-deb.sh: run npm ci first (no node_modules in $root)" >&2; exit 1; }

version=$(node -p "require('$root/package.json').version")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "${TMPDIR:-/tmp}/cardterm-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
app="$stage/usr/lib/cardterm"
mkdir -p "$app" "$stage/usr/bin" "$stage/DEBIAN" "$stage/lib/systemd/system" "$stage/lib/udev/rules.d" \
    "$stage/etc/cardterm" "$stage/usr/share/bash-completion/completions" "$stage/usr/share/doc/cardterm"

# 1. The app: every .ts under the till's source folders, as .js: tsconfig.build.json's
#    include but server/ and demo/, which the till's code never imports
#    (test/unit/import-direction.test.ts).
TILL_SOURCES=(agent drivers protocol rules lib config)
cd "$root"
mapfile -t sources < <(find "${TILL_SOURCES[@]}" -name '*.ts' ! -name '*.d.ts' | sort)
node_modules/.bin/esbuild "${sources[@]}" --outdir="$app/dist" --outbase=. --platform=node \
    --format=esm --target=node20 --log-level=warning
cp -r agent/console/public "$app/dist/agent/console/public"
chmod 755 "$app/dist/agent/cli/cardterm.js"
cp package.json "$app/package.json"

# 2. Production dependencies only, copied from this checkout's node_modules as npm resolves
#    them: the native modules stay as built here, nothing is fetched. Not those only head
#    office and the demo use (NOT_THE_TILLS) nor what only they depend on: npm query walks
#    the graph from the others (a module they share stays).
NOT_THE_TILLS='#pg, #aedes, [name="@electric-sql/pglite"]'
mkdir -p "$app/node_modules"
npm query ":root > .prod:not($NOT_THE_TILLS), :root > .prod:not($NOT_THE_TILLS) .prod" 2>/dev/null |
    node -e 'for (const m of JSON.parse(require("node:fs").readFileSync(0, "utf8"))) console.log(m.location)' |
    sort -u | grep -E '^node_modules/(@[^/]+/)?[^/]+$' | while read -r dir; do
    mkdir -p "$app/$(dirname "$dir")"
    cp -a "$dir" "$app/$dir"
done

# 3. Commands, units, rules, config, completion, documentation.
printf '#!/bin/sh\nexec /usr/bin/node /usr/lib/cardterm/dist/agent/cli/cardterm.js "$@"\n' >"$stage/usr/bin/cardterm"
chmod 755 "$stage/usr/bin/cardterm"
node "$app/dist/agent/cli/cardterm.js" completion bash >"$stage/usr/share/bash-completion/completions/cardterm"
install -m 644 deploy/systemd/cardterm.service "$stage/lib/systemd/system/cardterm.service"
install -m 644 deploy/udev/99-cardterm.rules "$stage/lib/udev/rules.d/99-cardterm.rules"
install -m 640 deploy/debian/cardterm.yaml "$stage/etc/cardterm/cardterm.yaml"
cp README.md "$stage/usr/share/doc/cardterm/"
cp docs/*.md "$stage/usr/share/doc/cardterm/"
cp -r config/examples "$stage/usr/share/doc/cardterm/examples"
printf 'cardterm %s\nAll rights reserved (package.json: UNLICENSED).\nThird-party modules in /usr/lib/cardterm/node_modules carry their own licences.\n' \
    "$version" >"$stage/usr/share/doc/cardterm/copyright"

# 4. Package metadata and maintainer scripts (deploy/debian/).
for script in postinst prerm postrm; do install -m 755 "deploy/debian/$script" "$stage/DEBIAN/$script"; done
echo /etc/cardterm/cardterm.yaml >"$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: cardterm
Version: $version-1
Architecture: $arch
Maintainer: cardterm maintainers <cardterm@localhost>
Installed-Size: $size
Depends: nodejs (>= 20), adduser
Recommends: pcscd, libpcsclite1, fonts-wqy-microhei
Suggests: mosquitto-clients
Section: misc
Priority: optional
Description: membership-card terminal agent for chain-store POS boxes
 Reads members' cards, prices and approves sales online or offline within
 limits, keeps a durable signed journal, prints receipts and reconciles with
 head office over MQTT. Includes the technician's tools (config check, doctor,
 journal, daily close).
EOF

mkdir -p "$out"
deb="$out/cardterm_${version}-1_${arch}.deb"
# zstd: a tenth of xz's time for this much JavaScript, at a similar size.
dpkg-deb --root-owner-group -Zzstd -z9 --build "$stage" "$deb" >/dev/null
echo "$deb"

#!/bin/sh
# libsodium.js for the pages (shared/static/vendor/), from npm's registry at the version
# pinned here. The wrapper imports "libsodium-sumo" by bare name; that import is rewritten
# to the file beside it, since the pages have no build step and module workers no import
# map. The files are committed: a page never fetches code from anywhere but its own server.
set -eu
VERSION=0.8.4
cd "$(dirname "$0")/.."
out=shared/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "libsodium-wrappers-sumo@$VERSION" "libsodium-sumo@$VERSION" >/dev/null)
for name in libsodium-wrappers-sumo libsodium-sumo; do
  mkdir "$tmp/$name" && tar xzf "$tmp/$name-$VERSION.tgz" -C "$tmp/$name"
done
mkdir -p "$out"
cp "$tmp/libsodium-sumo/package/dist/modules-sumo-esm/libsodium-sumo.mjs" "$out/libsodium-sumo.mjs"
sed 's|from"libsodium-sumo"|from"./libsodium-sumo.mjs"|' \
  "$tmp/libsodium-wrappers-sumo/package/dist/modules-sumo-esm/libsodium-wrappers.mjs" \
  > "$out/libsodium-wrappers.mjs"
grep -q 'from"./libsodium-sumo.mjs"' "$out/libsodium-wrappers.mjs" || { echo "import not rewritten" >&2; exit 1; }
cp "$tmp/libsodium-sumo/package/LICENSE" "$out/LICENSE.libsodium" 2>/dev/null || true
echo "libsodium.js $VERSION in $out"

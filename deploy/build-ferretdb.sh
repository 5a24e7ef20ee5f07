#!/usr/bin/env bash
# Build FerretDB (Apache-2.0, MongoDB wire protocol on SQLite) into the project's cache.
#
# Why not a plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`? Two snags,
# both outside our control: the module proxy here refuses the module's version list, which
# `go install pkg@version` asks for (deprecation check), and the published module lacks the
# generated build/version/version.txt, so the binary panics at start. We download the exact
# version, add that file and build in place.
set -euo pipefail

version="${FERRETDB_VERSION:-v1.24.2}"
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build-ferretdb.sh <output binary>}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="-mod=mod"

if ! command -v go >/dev/null; then
  echo "build-ferretdb: Go is needed to build FerretDB (or set MONGODB_URI to use a MongoDB)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

dir="$(cd "$work" && go mod download -json "github.com/FerretDB/FerretDB@${version}" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "build-ferretdb: could not download FerretDB ${version}" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
echo "${version}" > "$work/src/build/version/version.txt"

# A one-line fix of FerretDB's own: its SQLite backend creates the unique _id index on the
# expression  _ferretdb_sjson->"_id"  but looks documents up by  _ferretdb_sjson->'$._id',
# which SQLite does not match to that index, so every find, update and delete by _id read
# the whole table (EXPLAIN: "SCAN"; an update cost 15-20 ms at 5,000 documents, 55 ms to
# find the last of 50,000). Writing the look-up as the index is written makes it a SEARCH.
metadata="$work/src/internal/backends/sqlite/metadata/metadata.go"
grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$metadata" \
  || { echo "build-ferretdb: the _id look-up to fix is not where expected" >&2; exit 1; }
sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->\\\\\"_id\\\\\"\"|" "$metadata"
grep -n "IDColumn = " "$metadata" >&2

# And our patch for the filters (deploy/ferretdb-pushdown.patch). FerretDB pushed down
# nothing but an equality on _id on SQLite, so every other filter read and decoded the whole
# collection; and on PostgreSQL it wrote an equality as  _jsonb->'field' @> value , which no
# btree index serves (EXPLAIN: Seq Scan, look-ups by _id included). Each top-level equality
# with a string is now written as its field's index is made, equal to the value or any array
# (which may contain it): an index search on both backends. FerretDB still filters what
# comes back in memory, so the result is the same (bench.scale shows the plans and times).
(cd "$work/src" && git apply -p1 "$here/ferretdb-pushdown.patch")
# And deploy/ferretdb-update-iterators.patch: an update command kept every update's query
# open until the whole command ended, one SQLite connection each, so concurrent batches of
# upserts (two booking instances syncing one calendar) exhausted the pool and hung.
(cd "$work/src" && git apply -p1 "$here/ferretdb-update-iterators.patch")

mkdir -p "$(dirname "$out")"
cd "$work/src"
echo "building FerretDB ${version} (about a minute, once) ..." >&2
if ! go build -trimpath -o "$out.tmp" ./cmd/ferretdb 2>"$work/build.log"; then
  if grep -q linkname "$work/build.log"; then
    go build -trimpath -ldflags=-checklinkname=0 -o "$out.tmp" ./cmd/ferretdb
  else
    cat "$work/build.log" >&2
    exit 1
  fi
fi
mv "$out.tmp" "$out"
"$out" --version >&2

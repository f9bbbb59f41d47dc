#!/usr/bin/env bash
# Refresh vendored front-end assets from the npm registry at pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKETIO=4.8.1
AXE=4.10.2
D3CLOUD=1.2.9
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "socket.io-client@$SOCKETIO" "axe-core@$AXE" "d3-cloud@$D3CLOUD" >/dev/null)
tar xzf "$tmp/socket.io-client-$SOCKETIO.tgz" -C "$tmp" package/dist/socket.io.min.js
cp "$tmp/package/dist/socket.io.min.js" "workshop/static/vendor/socket.io-$SOCKETIO.min.js"
rm -rf "$tmp/package"
tar xzf "$tmp/axe-core-$AXE.tgz" -C "$tmp" package/axe.min.js
cp "$tmp/package/axe.min.js" "tests/e2e/vendor/axe-$AXE.min.js"
rm -rf "$tmp/package"
tar xzf "$tmp/d3-cloud-$D3CLOUD.tgz" -C "$tmp" package/build/d3.layout.cloud.js
cp "$tmp/package/build/d3.layout.cloud.js" "workshop/static/vendor/d3.layout.cloud-$D3CLOUD.js"
echo "vendored socket.io-client $SOCKETIO, axe-core $AXE, d3-cloud $D3CLOUD"

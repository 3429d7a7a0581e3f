#!/usr/bin/env bash
# Vendor the browser libraries into soporte/static/vendor/ so the chat
# works with no internet access. Uses only npm (no CDN). Idempotent.
# To upgrade: bump the versions below and re-run.
set -euo pipefail

BOOTSTRAP_VERSION=5.3.9
SOCKETIO_VERSION=4.8.4
# the reports page's charts: the UMD build bundles its one dependency (@kurkle/color)
CHARTJS_VERSION=4.6.2

# Work from the repo root, whatever the caller's cwd.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENDOR=soporte/static/vendor

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Fetch and extract the tarballs (each extracts to package/).
fetch() { # fetch NAME VERSION DIR
  mkdir -p "$TMP/$3"
  (cd "$TMP/$3" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
}
fetch bootstrap "$BOOTSTRAP_VERSION" bs
fetch socket.io-client "$SOCKETIO_VERSION" sio
fetch chart.js "$CHARTJS_VERSION" chart
KURKLE_VERSION=$(cd "$TMP/chart/package" && node -p 'require("./package.json").dependencies["@kurkle/color"].replace(/^\^/, "")')
fetch @kurkle/color "$KURKLE_VERSION" color
BS=$TMP/bs/package
SIO=$TMP/sio/package
CHART=$TMP/chart/package

# Recreate our subdirs so stale files do not linger (other vendor dirs are kept).
rm -rf "$VENDOR/bootstrap" "$VENDOR/socket.io" "$VENDOR/chart.js"
mkdir -p "$VENDOR/bootstrap" "$VENDOR/socket.io" "$VENDOR/chart.js"

cp "$BS"/dist/css/bootstrap.min.css{,.map} "$VENDOR/bootstrap/"
cp "$BS"/dist/js/bootstrap.bundle.min.js{,.map} "$VENDOR/bootstrap/"
cp "$BS/LICENSE" "$VENDOR/bootstrap/LICENSE"

cp "$SIO"/dist/socket.io.min.js{,.map} "$VENDOR/socket.io/"
cp "$SIO/LICENSE" "$VENDOR/socket.io/LICENSE"

cp "$CHART"/dist/chart.umd.min.js{,.map} "$VENDOR/chart.js/"
cp "$CHART/LICENSE.md" "$VENDOR/chart.js/LICENSE"
cp "$TMP/color/package/LICENSE" "$VENDOR/chart.js/LICENSE.kurkle-color"  # bundled inside the UMD build

cat > "$VENDOR/VERSIONS" <<VERSIONS
bootstrap $BOOTSTRAP_VERSION
socket.io-client $SOCKETIO_VERSION
chart.js $CHARTJS_VERSION
VERSIONS

echo "Vendored bootstrap $BOOTSTRAP_VERSION, socket.io-client $SOCKETIO_VERSION and chart.js $CHARTJS_VERSION into $VENDOR"

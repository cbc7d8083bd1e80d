#!/bin/sh
# TAP test: no file includes a header from a floor above its own, and cli/
# none of the listener's (see scripts/check-layers).
set -u

srcdir=${FISH_SRC_DIR:-$(dirname "$0")/..}
echo "1..1"
if out=$("$srcdir/scripts/check-layers" 2>&1); then
	echo "ok 1 - every include goes to the same floor or one below"
else
	echo "not ok 1 - every include goes to the same floor or one below"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi

#!/bin/sh
# TAP test: no banned functions in cli/, lib/ and listener/ (see scripts/check-banned).
set -u

srcdir=${FISH_SRC_DIR:-$(dirname "$0")/..}
echo "1..1"
if out=$("$srcdir/scripts/check-banned" 2>&1); then
	echo "ok 1 - no banned functions in cli/, lib/ and listener/"
else
	echo "not ok 1 - no banned functions in cli/, lib/ and listener/"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi

#!/bin/sh
# TAP test: no file includes a header from a floor above its own, and cli/
# none of the listener's (see scripts/check-layers); and the fish client,
# which must start as fast as /bin/true, links neither hiredis nor libcurl
# nor libmicrohttpd (the listener's).
set -u

srcdir=${FISH_SRC_DIR:-$(dirname "$0")/..}
builddir=${FISH_BUILD_DIR:-.}
echo "1..2"
if out=$("$srcdir/scripts/check-layers" 2>&1); then
	echo "ok 1 - every include goes to the same floor or one below"
else
	echo "not ok 1 - every include goes to the same floor or one below"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
if ! out=$(ldd "$builddir/fish" 2>&1); then
	echo "not ok 2 - the client links none of the listener's libraries"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
bad=$(printf '%s\n' "$out" | grep -E 'libhiredis|libcurl|libmicrohttpd')
if [ -n "$bad" ]; then
	echo "not ok 2 - the client links none of the listener's libraries"
	printf '%s\n' "$bad" | sed 's/^/# /'
	exit 1
fi
echo "ok 2 - the client links none of the listener's libraries"

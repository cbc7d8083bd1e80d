#!/bin/sh
# TAP test: replay every seed and every crash input ever found through its
# fuzz harness (test/fuzz/README), in whatever build make check runs: the
# ASan build and valgrind then check them too.  One case per harness.
set -u

srcdir=${FISH_SRC_DIR:-$(dirname "$0")/..}
builddir=${FISH_BUILD_DIR:-.}
harnesses="apply duration filter items journal journal-hostile jsonptr proto signature
store-url"

n=0
for name in $harnesses; do
	n=$((n + 1))
done
echo "1..$n"
i=0 failed=0
for name in $harnesses; do
	i=$((i + 1))
	set --
	for f in "$srcdir/test/fuzz/seeds/$name"/* "$srcdir/test/fuzz/corpus/$name"/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if out=$(${FUZZ_WRAPPER:-} "$builddir/test/fuzz/fuzz-$name" "$@" 2>&1); then
		echo "ok $i - fuzz-$name replays its $# inputs"
	else
		echo "not ok $i - fuzz-$name replays its $# inputs"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /'
		failed=1
	fi
done
exit $failed

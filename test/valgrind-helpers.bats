#!/usr/bin/env bats
# The valgrind test helpers that scripts/test --valgrind stands on
# (helpers/valgrind-listener as FISH_LISTENER, valgrind_check in
# helpers/common.bash): a listener under memcheck with a log of its own,
# empty when clean, and a leak in it failing the check with memcheck's
# report.  Skipped without valgrind or a C compiler, and on an ASan build
# (memcheck cannot run one).

bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	common_setup
	matrix_only_once "about the test helpers: no store involved"
	command -v valgrind >/dev/null ||
	    skip "valgrind not installed (scripts/deps)"
	command -v cc >/dev/null || skip "no C compiler"
	! grep -q __asan_init "$FISH_BUILD_DIR/fish-listener" ||
	    skip "an ASan build: memcheck cannot run it"
	# As common_setup does under FISH_TEST_VALGRIND=1.
	TEST_VALGRIND=1
	export FISH_LISTENER=$FISH_SRC_DIR/test/helpers/valgrind-listener
	export FISH_TEST_VALGRIND_DIR=$BATS_TEST_TMPDIR/valgrind
	mkdir -p "$FISH_TEST_VALGRIND_DIR"
}

teardown() {
	# The logs are the tests' subject: each checks them itself.
	TEST_VALGRIND= common_teardown
}

# start_and_stop [ENV...]: start the listener (ENV given to fish start,
# and so to it), note its pid in pid, and stop it.
start_and_stop() {
	env "$@" fish start >/dev/null
	pid=$(listener_pid)
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$BATS_TEST_TMPDIR/cmdline"
	fish stop >/dev/null
}

@test "a listener run under valgrind leaves an empty log, and the check passes" {
	start_and_stop
	run cat "$BATS_TEST_TMPDIR/cmdline"
	assert_output --regexp "valgrind.* $FISH_BUILD_DIR/fish-listener --session default "
	[ -f "$FISH_TEST_VALGRIND_DIR/valgrind-$pid.log" ]
	[ ! -s "$FISH_TEST_VALGRIND_DIR/valgrind-$pid.log" ]
	run valgrind_check
	assert_success
}

@test "a leak of a listener under valgrind fails the check, showing memcheck's report" {
	local so=$BATS_TEST_TMPDIR/leak.so
	# Memory allocated and lost before main: a definite leak of 64 bytes.
	cat >"$BATS_TEST_TMPDIR/leak.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
void *volatile leak_keep;
__attribute__((constructor)) static void
leak(void)
{
	leak_keep = memset(malloc(64), 1, 64);
	leak_keep = NULL;
}
EOF
	cc -shared -fPIC -O0 -o "$so" "$BATS_TEST_TMPDIR/leak.c"
	start_and_stop LD_PRELOAD="$so"
	run valgrind_check
	assert_failure
	assert_line --partial "64 bytes in 1 blocks are definitely lost"
	assert_line --partial "valgrind found errors in the listener: valgrind-$pid.log"
}

#!/usr/bin/env bats
# configure and make install, and the name fish shares with the fish shell:
# configure stops where a fish shell would clash, and a renamed fish says
# its name everywhere.  Each test configures a build of its own (and some
# build the client), so they get more time than others.

bats_require_minimum_version 1.5.0

: "${BATS_TEST_TIMEOUT:=300}"
[ "$BATS_TEST_TIMEOUT" -ge 300 ] || BATS_TEST_TIMEOUT=300

load helpers/common

setup() {
	common_setup
	matrix_only_once "it builds and installs fish; no store is involved"
	# configure builds elsewhere only from a tree not configured in place.
	[ ! -f "$FISH_SRC_DIR/config.status" ] ||
	    skip "the source tree is configured in place"
	tmp=$BATS_TEST_TMPDIR
	mkdir -p "$tmp/build"
}

teardown() {
	common_teardown
}

# nofish_path: print a PATH with every program of ours but no fish at all:
# one directory of links to the first of each name on $PATH.
nofish_path() {
	local dir file name
	mkdir -p "$tmp/nofish"
	local IFS=:
	for dir in $PATH; do
		[ -d "$dir" ] || continue
		for file in "$dir"/*; do
			name=${file##*/}
			[ "$name" != fish ] && [ -x "$file" ] && [ ! -e "$tmp/nofish/$name" ] &&
			    ln -s "$file" "$tmp/nofish/$name"
		done
	done
	printf '%s\n' "$tmp/nofish"
}

# fake_shell DIR: put a fish shell (as far as --version tells) in DIR.
fake_shell() {
	mkdir -p "$1"
	printf '#!/bin/sh\necho "fish, version 3.6.0"\n' >"$1/fish"
	chmod +x "$1/fish"
}

# run_configure ARG...: configure in $tmp/build, sharing a cache between
# the runs of a test; its output in $output.
run_configure() {
	run bash -c 'cd "$1" && shift && "$@"' _ "$tmp/build" \
	    "$FISH_SRC_DIR/configure" --cache-file="$tmp/config.cache" "$@"
}

@test "configure stops where a fish shell is on PATH, and says what to do" {
	fake_shell "$tmp/shell"
	PATH=$tmp/shell:$(nofish_path) run_configure
	assert_failure
	assert_output --partial "the fish shell is installed as $tmp/shell/fish"
	assert_output --partial "--program-transform-name='s/^fish\$/fishhook/'"
	assert_output --partial "--enable-install-as-fish"
	[ ! -f "$tmp/build/Makefile" ]
}

@test "configure stops rather than install over a fish that is not this one" {
	mkdir -p "$tmp/prefix/bin"
	printf '#!/bin/sh\necho something else\n' >"$tmp/prefix/bin/fish"
	chmod +x "$tmp/prefix/bin/fish"
	PATH=$(nofish_path) run_configure --prefix="$tmp/prefix"
	assert_failure
	assert_output --partial "$tmp/prefix/bin/fish is another program"
}

@test "configure goes ahead when renamed, told to, or with no fish shell" {
	fake_shell "$tmp/shell"
	PATH=$tmp/shell:$(nofish_path) \
	    run_configure --program-transform-name='s/^fish$/fishhook/'
	assert_success
	grep -q '^#define FISH_INSTALLED_NAME "fishhook"$' "$tmp/build/config.h"

	PATH=$tmp/shell:$(nofish_path) run_configure --enable-install-as-fish
	assert_success
	grep -q '^#define FISH_INSTALLED_NAME "fish"$' "$tmp/build/config.h"

	# An earlier install of this fish is no clash.
	mkdir -p "$tmp/prefix/bin"
	printf '#!/bin/sh\necho "fish 0.0.9"\n' >"$tmp/prefix/bin/fish"
	chmod +x "$tmp/prefix/bin/fish"
	PATH=$(nofish_path) run_configure --prefix="$tmp/prefix"
	assert_success
}

@test "a renamed fish says its name in messages, help, man page and completions" {
	local dest=$tmp/dest prefix=/opt/hooks bin
	run_configure --program-transform-name='s/^fish$/fishhook/' \
	    --prefix=$prefix
	assert_success
	run make -C "$tmp/build" -j2 fish
	assert_success
	run make -C "$tmp/build" install-binPROGRAMS install-data \
	    DESTDIR="$dest"
	assert_success
	bin=$dest$prefix/bin/fishhook

	run "$bin" --help
	assert_success
	assert_line --index 0 "usage: fishhook [-hV] [-S NAME] COMMAND [ARG...]"
	assert_output --partial "Run 'fishhook help COMMAND'"
	run "$bin" help wait
	assert_line --index 0 --partial "usage: fishhook wait HOOK..."
	run "$bin" version
	assert_output --regexp '^fishhook [0-9]+\.[0-9]+\.[0-9]+$'
	run "$bin" spwn
	assert_failure 2
	assert_output "fishhook: unknown command 'spwn' (did you mean 'spawn'?)"
	run "$bin" show --frob
	assert_line --index 0 "fishhook show: unknown option '--frob'"
	run "$bin" tail --help
	assert_output --partial "as fishhook log does"

	# The man page: its name, its examples, but not the fish shell.
	local man=$dest$prefix/share/man/man1/fishhook.1
	[ -f "$man" ]
	[ ! -e "$dest$prefix/share/man/man1/fish.1" ]
	run mandoc -Tlint -Wwarning "$man"
	assert_success
	grep -qx '.Dt FISHHOOK 1' "$man"
	grep -qx '.Nm fishhook' "$man"
	grep -q '^orders=$(fishhook spawn --name orders)$' "$man"
	grep -q "trap 'fishhook stop --purge' EXIT" "$man"
	grep -q 'The fish shell has an executable' "$man"
	grep -qx ".It Pa $prefix/libexec/fishhook/fish-listener" "$man"
	grep -qx ".It Pa $prefix/share/zsh/site-functions/_fishhook" "$man"
	! grep -qE '(^|[ (|])fish (spawn|send|wait|field|sign|verify|stop)' "$man"

	# The completions, each registered for the name.
	tail -n 1 "$dest$prefix/share/bash-completion/completions/fishhook" |
	    grep -qx 'complete -F _fishhook fishhook'
	head -n 1 "$dest$prefix/share/zsh/site-functions/_fishhook" |
	    grep -qx '#compdef fishhook'
	grep -qx 'set -l prog fishhook' \
	    "$dest$prefix/share/fish/vendor_completions.d/fishhook.fish"

	# make uninstall takes them all away.
	run make -C "$tmp/build" uninstall-binPROGRAMS uninstall-local \
	    DESTDIR="$dest"
	assert_success
	run find "$dest" -type f
	assert_output ""
}

@test "--without-bash-completion-dir and its siblings leave a completion out" {
	run_configure --enable-install-as-fish --prefix=/p \
	    --without-bash-completion-dir --with-zsh-completion-dir=/z \
	    --without-fish-completion-dir
	assert_success
	run make -C "$tmp/build" install-data DESTDIR="$tmp/dest"
	assert_success
	run find "$tmp/dest" -type f
	assert_output --partial "$tmp/dest/z/_fish"
	refute_output --partial "completions"
}

@test "make install puts fish, its listener, man page, completions and examples in place, and make uninstall takes them all away" {
	local dest=$tmp/dest prefix=/opt/hooks
	run_configure --program-transform-name='s/^fish/fishhook/' \
	    --prefix=$prefix
	assert_success
	run make -C "$tmp/build" -j2
	assert_success
	run make -C "$tmp/build" install DESTDIR="$dest"
	assert_success

	run bash -c 'cd "$1" && find . ! -type d | sort' _ "$dest$prefix"
	assert_output "./bin/fishhook
./libexec/fishhook/fishhook-listener
./share/bash-completion/completions/fishhook
./share/doc/fishhook/examples/app
./share/doc/fishhook/examples/ci/github-actions.yml
./share/doc/fishhook/examples/ci/gitlab-ci.yml
./share/doc/fishhook/examples/demo.sh
./share/doc/fishhook/examples/partner
./share/fish/vendor_completions.d/fishhook.fish
./share/man/man1/fishhook.1
./share/zsh/site-functions/_fishhook"
	# The client runs the listener installed beside it.
	strings "$dest$prefix/bin/fishhook" |
	    grep -qx "$prefix/libexec/fishhook/fishhook-listener"
	# The examples run as installed: they call the installed name.
	[ -x "$dest$prefix/share/doc/fishhook/examples/demo.sh" ]
	grep -q '^orders=$(fishhook spawn --name orders' \
	    "$dest$prefix/share/doc/fishhook/examples/demo.sh"
	grep -q '| fishhook field /path)$' \
	    "$dest$prefix/share/doc/fishhook/examples/app"
	! grep -qE '(^|[	 (|])fish (-S|spawn|send|wait|field|stop|log)' \
	    "$dest$prefix"/share/doc/fishhook/examples/[adp]*

	run make -C "$tmp/build" uninstall DESTDIR="$dest"
	assert_success
	run find "$dest" ! -type d
	assert_output ""
}

@test "a fish renamed as the Debian package does passes the tests of the messages that say its name" {
	local file files=()
	run_configure --program-transform-name='s/^fish/fishhook/' \
	    --enable-werror --enable-test-hooks
	assert_success
	# Two runs: automake's "all" is a make of its own, which would build
	# the libraries at the same time as the other targets' links.
	run make -C "$tmp/build" -j2 all
	assert_success
	run make -C "$tmp/build" -j2 test/default-name/fish test/unit/journal
	assert_success
	grep -qx '#define FISH_INSTALLED_NAME "fishhook"' "$tmp/build/config.h"
	# The journal says the name in its causes.
	run "$tmp/build/test/unit/journal"
	assert_success
	refute_output --partial "not ok"
	# Every file of tests that expects the installed name in a message
	# (from lib/ or the listener), run on this build.
	for file in "$FISH_SRC_DIR"/test/*.bats; do
		[ "${file##*/}" != install.bats ] &&
		    grep -qF '$FISH_INSTALLED_NAME' "$file" && files+=("$file")
	done
	[ "${#files[@]}" -gt 0 ]
	FISH_BUILD_DIR=$tmp/build run bats --tap "${files[@]}"
	assert_success
	refute_output --partial "not ok"
}

#!/usr/bin/env bats
# The Debian package (debian/): fish packaged as fishhook, so that it never
# clashes with the fish shell's package.  The package is built once for
# the file, with dpkg-buildpackage from a copy of the tree; the tests then
# lint it, install it, use it from its own FISH_HOME, run its autopkgtest
# (debian/tests) against it, make fish name it as an administrator would,
# and purge it.
#
# They install and remove a package on this machine: root only (as CI
# runs), one run at a time (a lock), and never where fishhook is already
# installed.  The package is built without its tests (nocheck): the suite
# that runs this file is those tests.

bats_require_minimum_version 1.5.0

: "${BATS_TEST_TIMEOUT:=300}"
[ "$BATS_TEST_TIMEOUT" -ge 300 ] || BATS_TEST_TIMEOUT=300

load helpers/common

# apt-get, waiting for whoever else holds the dpkg lock.
APT_GET="apt-get -y -qq -o DPkg::Lock::Timeout=300"

# package_skip: print why the package cannot be tested here, if so.
package_skip() {
	if [ -n "${FISH_SKIP_PACKAGE_TEST:-}" ]; then
		echo "$FISH_SKIP_PACKAGE_TEST"
	elif [ -n "${FISH_TEST_STORE:-}" ] && [ "$FISH_TEST_STORE" != journal ]; then
		echo "run once, not against $FISH_TEST_STORE: no store is involved"
	elif [ ! -f "$FISH_SRC_DIR/debian/control" ]; then
		echo "no debian/ in $FISH_SRC_DIR (a release tarball)"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "not root: the test installs and removes a package"
	elif ! command -v dpkg-buildpackage >/dev/null; then
		echo "dpkg-buildpackage missing: apt-get install dpkg-dev"
	elif ! command -v dh >/dev/null; then
		echo "debhelper missing: apt-get install debhelper"
	fi
}

# installed: succeed if the package fishhook is installed.
installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' fishhook 2>/dev/null)" = installed ]
}

# copy_tree DIR: copy the source tree, as git sees it (committed or not,
# but nothing ignored), or all of it but builds outside git, into DIR.
copy_tree() {
	local src=$FISH_SRC_DIR
	mkdir -p "$1"
	if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$src" ls-files -z --cached --others --exclude-standard |
		    (cd "$src" && while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		    done) | tar -C "$src" --null -T - -cf - | tar -C "$1" -xf -
	else
		tar -C "$src" --exclude=./build --exclude='./build-*' \
		    --exclude=./.git -cf - . | tar -C "$1" -xf -
	fi
}

setup_file() {
	local lock src=$BATS_FILE_TMPDIR/fishhook

	# bats 1.8 cannot skip from setup_file: setup skips each test.
	PACKAGE_SKIP=$(package_skip)
	export PACKAGE_SKIP
	[ -z "$PACKAGE_SKIP" ] || return 0
	# Another run of this file (a second suite) waits for this one.
	lock=/run/lock
	[ -d "$lock" ] || lock=/tmp
	exec 9>"$lock/fish-package-test.lock"
	flock -w 1800 9
	if installed; then
		PACKAGE_SKIP="fishhook is installed on this machine: the test would remove it"
		return 0
	fi

	copy_tree "$src"
	# The source package, for lintian; then the binary one.
	(cd "$BATS_FILE_TMPDIR" && dpkg-source -b fishhook) \
	    >"$BATS_FILE_TMPDIR/source.log" 2>&1 ||
	    { cat "$BATS_FILE_TMPDIR/source.log"; return 1; }
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	    timeout 1200 dpkg-buildpackage -us -uc -b -Pnocheck) \
	    >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
	    { tail -n 60 "$BATS_FILE_TMPDIR/build.log"; return 1; }
	DEB=$(echo "$BATS_FILE_TMPDIR"/fishhook_*_*.deb)
	[ -f "$DEB" ]
	export DEB
}

teardown_file() {
	if [ -f "$BATS_FILE_TMPDIR/installed-by-test" ] && installed; then
		$APT_GET purge fishhook >/dev/null 2>&1 || true
	fi
}

setup() {
	common_setup
	# The installed fishhook finds its own listener, not the build's.
	unset FISH_LISTENER
	[ -z "$PACKAGE_SKIP" ] || skip "$PACKAGE_SKIP"
}

teardown() {
	local dir
	if [ -x /usr/bin/fishhook ]; then
		for dir in "$FISH_HOME"/sessions/*/; do
			[ -d "$dir" ] || continue
			/usr/bin/fishhook -S "$(basename "$dir")" stop \
			    >/dev/null 2>&1 || true
		done
	fi
	# A failed test must not leave its fish alternative on the machine.
	if [ -f "$BATS_TEST_TMPDIR/alternative" ] &&
	    [ -e /var/lib/dpkg/alternatives/fish ]; then
		update-alternatives --remove-all fish >/dev/null 2>&1 || true
	fi
	common_teardown
}

# install_package: install the package built (once per file).
install_package() {
	installed && return 0
	touch "$BATS_FILE_TMPDIR/installed-by-test"
	run $APT_GET install "$DEB"
	assert_success
	installed
}

@test "the package is lintian clean" {
	command -v lintian >/dev/null || skip "lintian missing: apt-get install lintian"
	run lintian --allow-root -I "$BATS_FILE_TMPDIR"/fishhook_*.dsc \
	    "$BATS_FILE_TMPDIR"/fishhook_*_*.changes
	assert_success
	assert_output ""
}

@test "the package ships fishhook and nothing called fish, beside the fish shell" {
	assert_equal "$(dpkg-deb -f "$DEB" Package)" fishhook
	# It declares no conflict: the two can be installed together.
	assert_equal "$(dpkg-deb -f "$DEB" Conflicts Replaces Breaks)" ""

	run dpkg-deb -c "$DEB"
	assert_success
	assert_output --partial " ./usr/bin/fishhook"
	assert_output --partial " ./usr/libexec/fishhook/fishhook-listener"
	assert_output --partial " ./usr/share/man/man1/fishhook.1.gz"
	assert_output --partial " ./usr/share/bash-completion/completions/fishhook"
	assert_output --partial " ./usr/share/zsh/vendor-completions/_fishhook"
	assert_output --partial " ./usr/share/fish/vendor_completions.d/fishhook.fish"
	assert_output --partial " ./usr/share/doc/fishhook/examples/demo.sh"
	assert_output --partial " ./usr/share/doc/fishhook/README.Debian"
	refute_output --regexp '/bin/fish$|/fish\.1\.gz$|/libexec/fish/|/fish-listener$|completions/fish$|/_fish$|/fish\.fish$|/doc/fish/'

	# The man page names the command and the listener as installed.
	dpkg-deb --fsys-tarfile "$DEB" |
	    tar -xOf - ./usr/share/man/man1/fishhook.1.gz | zcat >"$BATS_TEST_TMPDIR/man"
	grep -qx '.Nm fishhook' "$BATS_TEST_TMPDIR/man"
	grep -qx '.It Pa /usr/libexec/fishhook/fishhook-listener' "$BATS_TEST_TMPDIR/man"
	run mandoc -Tlint -Wwarning "$BATS_TEST_TMPDIR/man"
	assert_success
}

@test "an installed fishhook spawns, sends and waits with its own FISH_HOME" {
	local url pid
	install_package
	run /usr/bin/fishhook version
	assert_output --regexp '^fishhook [0-9]+\.[0-9]+\.[0-9]+$'

	url=$(/usr/bin/fishhook spawn --name orders)
	run /usr/bin/fishhook send POST "$url" order=42
	assert_success
	run /usr/bin/fishhook wait "$url" --timeout 10
	assert_success
	assert_output '{"order":"42"}'
	# The listener that answered is the package's.
	pid=$(cat "$FISH_HOME"/sessions/default/listener.pid)
	assert_equal "$(readlink "/proc/$pid/exe")" /usr/libexec/fishhook/fishhook-listener
	run /usr/bin/fishhook stop
	assert_success

	# bash-completion loads the completion for the command's name.
	run bash -c '. /usr/share/bash-completion/completions/fishhook &&
	    complete -p fishhook'
	assert_output "complete -F _fishhook fishhook"
	grep -qx 'set -l prog fishhook' \
	    /usr/share/fish/vendor_completions.d/fishhook.fish
	head -n 1 /usr/share/zsh/vendor-completions/_fishhook |
	    grep -qx '#compdef fishhook'

	# Slim container images tell dpkg to drop every man page.
	if grep -Eqs '^path-exclude[= ]+/usr/share/man/' \
	    /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
		skip "dpkg here installs no man pages (path-exclude); the test of the .deb's contents checks it"
	fi
	run man -w fishhook
	assert_success
	assert_output /usr/share/man/man1/fishhook.1.gz
}

@test "the package's autopkgtest passes against the installed package" {
	local src=$BATS_FILE_TMPDIR/fishhook
	install_package
	run cat "$src/debian/tests/control"
	assert_line "Tests: smoke"
	if command -v autopkgtest >/dev/null; then
		# The real runner, on this machine (null): it installs the
		# .deb built (here already installed) and the tests'
		# Depends, and runs debian/tests from the source tree without
		# building it again.
		run autopkgtest --no-built-binaries \
		    --output-dir "$BATS_TEST_TMPDIR/autopkgtest" \
		    "$DEB" "$src" -- null
		assert_success
		assert_output --regexp 'smoke +PASS'
	else
		# No runner here (apt-get install autopkgtest): the test's
		# script run as it would run it, against the installed
		# package, with the system's PATH.
		run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		    AUTOPKGTEST_TMP="$BATS_TEST_TMPDIR" \
		    "$src/debian/tests/smoke"
		assert_success
		assert_output "smoke: spawn, a callback with curl and wait work"
	fi
}

@test "an admin makes fish run fishhook with update-alternatives, and removing the package undoes it" {
	local bin=$BATS_TEST_TMPDIR/bin alt=$BATS_TEST_TMPDIR/alt url
	[ ! -e /var/lib/dpkg/alternatives/fish ] ||
	    skip "this machine has an alternative called fish of its own"
	install_package

	# README.Debian's command leaves a real fish (the shell) alone.
	mkdir -p "$bin" "$alt/links" "$alt/admin"
	printf '#!/bin/sh\necho "fish, version 3.6.0"\n' >"$bin/fish"
	chmod +x "$bin/fish"
	run update-alternatives --altdir "$alt/links" --admindir "$alt/admin" \
	    --install "$bin/fish" fish /usr/bin/fishhook 10
	assert_output --partial "not replacing $bin/fish with a link"
	run "$bin/fish" --version
	assert_output "fish, version 3.6.0"
	rm "$bin/fish"

	# Where there is no shell, fish is fishhook, under its own name.
	touch "$BATS_TEST_TMPDIR/alternative"
	run update-alternatives --install "$bin/fish" fish /usr/bin/fishhook 10
	assert_success
	run "$bin/fish" version
	assert_output --regexp '^fishhook [0-9.]+$'
	url=$("$bin/fish" spawn)
	run "$bin/fish" send "$url" --data hello
	assert_success
	run "$bin/fish" wait "$url" --timeout 10
	assert_output hello
	run "$bin/fish" stop
	assert_success
	# Started as a shell, it says what it is.
	run "$bin/fish" -c 'echo hi'
	assert_failure 2
	assert_output --partial "this fishhook is the webhook tool, not a shell"

	# dpkg -r takes the alternative away with the package.
	run $APT_GET remove fishhook
	assert_success
	! installed
	[ ! -e "$bin/fish" ] && [ ! -L "$bin/fish" ]
	[ ! -e /etc/alternatives/fish ] && [ ! -L /etc/alternatives/fish ]
	run update-alternatives --query fish
	assert_failure
}

@test "purging the package leaves nothing behind" {
	local f left=""
	install_package
	dpkg -L fishhook >"$BATS_TEST_TMPDIR/files"
	run $APT_GET purge fishhook
	assert_success
	run dpkg-query -W -f='${db:Status-Status}' fishhook
	refute_output installed
	refute_output config-files
	# Every file of the package is gone, and its own directories.
	while IFS= read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
	done <"$BATS_TEST_TMPDIR/files"
	assert_equal "$left" ""
	[ ! -e /usr/libexec/fishhook ]
	[ ! -e /usr/share/doc/fishhook ]
	run ls /var/lib/dpkg/info/
	refute_output --partial fishhook
}

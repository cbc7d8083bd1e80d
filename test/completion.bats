#!/usr/bin/env bats
# The shell completions in completions/: each is loaded in its own shell
# (bash, zsh, the fish shell), which is asked what it would complete.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/commands

setup() {
	common_setup
	fish -S alpha spawn --name orders >/dev/null
	fish -S alpha spawn --name deploys >/dev/null
	# A session that exists but whose listener is not running.
	fish -S beta start >/dev/null
	fish -S beta stop >/dev/null
}

teardown() {
	common_teardown
}

# complete_bash LINE: print what the bash completion offers for LINE.
# bash splits --opt=value into three words, as it does for COMP_WORDS.
complete_bash() {
	bash --norc --noprofile -c '
		source "$1"
		line=$2
		COMP_LINE=$line
		COMP_POINT=${#line}
		line=${line//=/ = }
		read -ra COMP_WORDS <<<"$line"
		[[ $2 == *[\ =] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_fishhook
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
	    _ "$FISH_SRC_DIR/completions/fish.bash" "$1"
}

# complete_zsh LINE: print what the zsh completion offers for LINE.
complete_zsh() {
	mkdir -p "$BATS_TEST_TMPDIR/zsh"
	cp "$FISH_SRC_DIR/completions/fish.zsh" "$BATS_TEST_TMPDIR/zsh/_fish"
	zsh -f "$FISH_SRC_DIR/test/helpers/complete.zsh" \
	    "$BATS_TEST_TMPDIR/zsh" "$1"
}

# fish_shell: print the path of the fish shell (not the fish under test).
fish_shell() {
	local dir
	local IFS=:
	for dir in $PATH; do
		[ "$dir" != "$FISH_BUILD_DIR" ] && [ -x "$dir/fish" ] &&
		    "$dir/fish" --version 2>/dev/null | grep -q '^fish, version' &&
		    { printf '%s\n' "$dir/fish"; return 0; }
	done
	return 1
}

# complete_fish LINE: print what the fish shell's completion offers.
complete_fish() {
	local shell
	shell=$(fish_shell) || return
	mkdir -p "$BATS_TEST_TMPDIR/fishc"
	cp "$FISH_SRC_DIR/completions/fish.fish" "$BATS_TEST_TMPDIR/fishc/"
	"$shell" --no-config -c 'set fish_complete_path $argv[1] $fish_complete_path
	    complete -C $argv[2]' "$BATS_TEST_TMPDIR/fishc" "$1" | cut -f 1 | sort
}

# need SHELL: skip unless SHELL can be run.
need() {
	case $1 in
	fish) fish_shell >/dev/null ||
	    skip "the fish shell is not installed (apt-get install fish)" ;;
	*) command -v "$1" >/dev/null ||
	    skip "$1 is not installed (apt-get install $1)" ;;
	esac
}

# check_completions SHELL: the completions every shell must offer.
check_completions() {
	local shell=$1 cmd
	run "complete_$shell" "fish sp"
	assert_output "spawn"
	run "complete_$shell" "fish "
	for cmd in $COMMANDS; do
		assert_line "$cmd"
	done
	run "complete_$shell" "fish wait --tim"
	assert_output -- "--timeout"
	run "complete_$shell" "fish show --r"
	assert_output -- "--raw"
	run "complete_$shell" "fish ses"
	assert_output "sessions"
	run "complete_$shell" "fish stop --a"
	assert_output -- "--all"
	run "complete_$shell" "fish start --idle-e"
	assert_output -- "--idle-exit"
	run "complete_$shell" "fish -S "
	assert_output $'alpha\nbeta'
	run "complete_$shell" "fish -S alpha wait "
	assert_output $'deploys\norders'
	run "complete_$shell" "fish --session=alpha close o"
	assert_output "orders"
	run "complete_$shell" "fish help w"
	assert_output "wait"
	run "complete_$shell" "fish send "
	assert_line "POST"
	run "complete_$shell" "fish send --ge"
	assert_output -- "--get"
	run "complete_$shell" "fish send --proxy-"
	assert_output -- $'--proxy-header\n--proxy-user'
	run "complete_$shell" "fish replay --proxy-u"
	assert_output -- "--proxy-user"
	run "complete_$shell" "fish log --color="
	assert_output --regexp '(--color=)?always'$'\n''(--color=)?auto'$'\n''(--color=)?never'
	run "complete_$shell" "fish start --tunnel "
	assert_line "cloudflared"
	assert_line "ngrok"
	assert_line "ssh:"
	assert_line "cmd:"
	# A session that is not running has no hooks to offer, and completing
	# starts no listener for it, nor creates one.
	run "complete_$shell" "fish -S beta wait "
	assert_output ""
	run "complete_$shell" "fish -S gamma wait "
	assert_output ""
	run fish -S beta status
	assert_failure 3
	[ ! -e "$FISH_HOME/sessions/gamma" ]
}

@test "bash completes commands, options, sessions and hooks" {
	need bash
	check_completions bash
	# Files after @ for bodies.
	touch "$BATS_TEST_TMPDIR/body.json"
	run complete_bash "fish send x --json @$BATS_TEST_TMPDIR/bo"
	assert_output "@$BATS_TEST_TMPDIR/body.json"
	# Registered for the name.
	run bash --norc -c 'source "$1"; complete -p fish' _ \
	    "$FISH_SRC_DIR/completions/fish.bash"
	assert_output "complete -F _fishhook fish"
}

@test "zsh completes commands, options, sessions and hooks" {
	need zsh
	check_completions zsh
}

@test "the fish shell completes commands, options, sessions and hooks" {
	need fish
	check_completions fish
}

# check_options SHELL: each command's completion offers each long option
# its --help shows.
check_options() {
	local shell=$1 cmd opt missing=""
	for cmd in $COMMANDS; do
		run "complete_$shell" "fish $cmd --"
		for opt in $(help_options "$cmd" --listed); do
			[[ $'\n'$output$'\n' == *$'\n'$opt$'\n'* ]] ||
			    missing="$missing $cmd:$opt"
		done
	done
	assert_equal "$missing" ""
}

@test "every completion offers every option of every command" {
	local shell
	for shell in bash zsh fish; do
		case $shell in
		fish) fish_shell >/dev/null || continue ;;
		*) command -v "$shell" >/dev/null || continue ;;
		esac
		check_options "$shell"
	done
}

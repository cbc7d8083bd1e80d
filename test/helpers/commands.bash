# fish's commands and the options their --help shows, for the tests that
# hold the help, the man page and the completions to one another: load it
# after helpers/common.

# Every command of fish, as fish --help lists them.
COMMANDS="start stop status sessions spawn wait send reply close field log ls show tail replay sign verify help version"

# help_options CMD [--listed]: print each option (-x or --long) that fish
# CMD --help shows, one a line; with --listed, only the long options of
# its list of options (those that start a line).
help_options() {
	if [ "${2-}" = --listed ]; then
		fish "$1" --help |
		    grep -oE '^  (-[A-Za-z], )?--[A-Za-z][A-Za-z-]*' |
		    sed -E 's/.*--/--/' | sort -u
	else
		fish "$1" --help |
		    grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z-]*' |
		    sed -E 's/^[][ ,|]//' | sort -u
	fi
}

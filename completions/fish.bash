# bash completion for fish, the webhook tool (not the fish shell).
#
# Completes commands, options, session names (-S: the directories under
# $FISH_HOME/sessions) and hook names, which it asks the session's listener
# for with "ls --json --no-start", so that completing never starts one.
# It needs no bash-completion helpers.  make install writes the installed
# name on the last line (see Makefile.am).

# Print the session names.
_fishhook_sessions()
{
	local home=${FISH_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/fish} dir
	for dir in "$home"/sessions/*/; do
		[ -d "$dir" ] || continue
		dir=${dir%/}
		printf '%s\n' "${dir##*/}"
	done
}

# _fishhook_hooks PROGRAM [-S SESSION]: print the names of the session's
# hooks, if its listener runs.
_fishhook_hooks()
{
	"$@" ls --json --no-start 2>/dev/null |
	    sed -n 's/.*"name":"\([^"]*\)".*/\1/p'
}

# Print the options of a command, then those every command takes.
_fishhook_options()
{
	case $1 in
	export) echo --har ;;
	log) echo --json --limit --since --method --status --event --where \
	    --color ;;
	ls) echo --json --no-start ;;
	field) echo --raw ;;
	replay) echo --to --json --raw -x --proxy --noproxy --proxy-user \
	    --proxy-header ;;
	reply) echo --status -H --header --body ;;
	send) echo -H --header --json --data --data-urlencode -G --get \
	    -F --form \
	    -u --user --timeout --retry --expect --sign -i --include \
	    -L --location -o --output -q --quiet -v --verbose -w --write-out \
	    -k --insecure --cacert -x --proxy --noproxy --proxy-user \
	    --proxy-header --compressed \
	    --max-response --raw ;;
	show) echo --json --curl --raw --color ;;
	sign) echo --id --timestamp ;;
	spawn) echo --name --status -H --header --body --hold --hold-timeout \
	    --echo --forward-to --ttl --verify --tolerance --json ;;
	start) echo --listen --public-url --tunnel --no-tunnel \
	    --tunnel-url-pattern --tunnel-timeout --retain --idle-exit --store \
	    --store-replicas --tls-cert --tls-key --no-tls --max-body \
	    --idle-timeout --max-connections --max-per-ip --max-header \
	    --max-inflight --foreground ;;
	sessions) echo --json ;;
	status) echo --json ;;
	stop) echo --all --purge --timeout ;;
	tail) echo --json --method --status --event --where --color ;;
	verify) echo -H --header --tolerance --now ;;
	wait) echo --timeout --count --follow --drain --where --json --field \
	    --headers --peek --raw --no-progress ;;
	esac
	echo -h --help
}

# Tell whether option $2 of command $1 takes a value in the next word.
_fishhook_takes_value()
{
	case $2 in
	-H | --header | --body | --timeout | --status) return 0 ;;
	esac
	case $1:$2 in
	export:--har | log:--limit | log:--since | log:--method | log:--event | \
	    log:--where | tail:--method | tail:--event | tail:--where | \
	    replay:--to | replay:-x | replay:--proxy | replay:--noproxy | \
	    replay:--proxy-user | replay:--proxy-header | \
	    send:--json | send:--data | \
	    send:--retry | send:--expect | send:--sign | send:-o | \
	    send:--output | send:--data-urlencode | send:-F | send:--form | \
	    send:-u | send:--user | send:-w | send:--write-out | \
	    send:--cacert | send:-x | send:--proxy | send:--noproxy | \
	    send:--proxy-user | send:--proxy-header | \
	    send:--max-response | sign:--id | sign:--timestamp | spawn:--name | \
	    spawn:--hold-timeout | spawn:--echo | spawn:--forward-to | \
	    spawn:--ttl | spawn:--verify | spawn:--tolerance | start:--listen | \
	    start:--public-url | start:--tunnel | start:--tunnel-url-pattern | \
	    start:--tunnel-timeout | start:--retain | start:--idle-exit | \
	    start:--store | start:--store-replicas | start:--tls-cert | \
	    start:--tls-key | start:--max-body | start:--idle-timeout | \
	    start:--max-connections | start:--max-per-ip | start:--max-header | \
	    start:--max-inflight | \
	    verify:--tolerance | verify:--now | wait:--count | wait:--field | \
	    wait:--where)
		return 0 ;;
	esac
	return 1
}

# Complete file names, after an @ when the word starts with one.
_fishhook_files()
{
	local cur=$1 at=
	if [[ $cur == @* ]]; then
		at=@
		cur=${cur#@}
	fi
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	if [ -n "$at" ]; then
		COMPREPLY=("${COMPREPLY[@]/#/@}")
	fi
}

# Complete the value of option $2 of command $1.
_fishhook_value()
{
	local cmd=$1 option=$2 cur=$3
	case $option in
	--color)
		mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
		;;
	--body | --json | --data)
		[[ $cur == @* ]] && _fishhook_files "$cur"
		;;
	--tls-cert | --tls-key | -o | --output | --har)
		_fishhook_files "$cur"
		;;
	--tunnel)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W 'cloudflared ngrok ssh: cmd:' \
		    -- "$cur")
		;;
	esac
	return 0
}

# The completion function.
_fishhook()
{
	local cur=${COMP_WORDS[COMP_CWORD]} word prev cmd= operands=0 i=1
	local -a program=("${COMP_WORDS[0]}")

	COMPREPLY=()
	# Find the global options and the command before the current word;
	# bash splits "--session=x" into "--session" "=" "x".
	while [ "$i" -lt "$COMP_CWORD" ]; do
		word=${COMP_WORDS[i]}
		if [ -z "$cmd" ]; then
			case $word in
			-S | --session)
				if [ "${COMP_WORDS[i + 1]}" = = ]; then
					i=$((i + 1))
				fi
				if [ $((i + 1)) -lt "$COMP_CWORD" ]; then
					program+=(-S "${COMP_WORDS[i + 1]}")
				fi
				i=$((i + 1))
				;;
			-S?*) program+=("$word") ;;
			-*) ;;
			*) cmd=$word ;;
			esac
		elif [[ $word != -* && $word != = ]]; then
			prev=${COMP_WORDS[i - 1]}
			if [ "$prev" = = ]; then
				:
			elif _fishhook_takes_value "$cmd" "$prev"; then
				:
			else
				operands=$((operands + 1))
			fi
		fi
		i=$((i + 1))
	done
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# The value after "--option=": the option is one word further back.
	if [ "$prev" = = ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
		if [ -z "$cmd" ]; then
			[ "$prev" = --session ] &&
			    mapfile -t COMPREPLY < <(compgen -W \
			    "$(_fishhook_sessions)" -- "$cur")
			return 0
		fi
		_fishhook_value "$cmd" "$prev" "$cur"
		return 0
	fi
	if [ "$cur" = = ]; then
		[ "$prev" = --color ] &&
		    mapfile -t COMPREPLY < <(compgen -W 'auto always never')
		[ "$prev" = --session ] &&
		    mapfile -t COMPREPLY < <(compgen -W "$(_fishhook_sessions)")
		return 0
	fi

	if [ -z "$cmd" ]; then
		case $prev in
		-S | --session)
			mapfile -t COMPREPLY < <(compgen -W \
			    "$(_fishhook_sessions)" -- "$cur")
			;;
		*)
			if [[ $cur == -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W \
				    '-S --session -h --help -V --version' \
				    -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W 'spawn send
				    wait close export field help log ls replay
				    reply sessions show sign start status stop tail
				    verify version' -- "$cur")
			fi
			;;
		esac
		return 0
	fi

	if _fishhook_takes_value "$cmd" "$prev"; then
		_fishhook_value "$cmd" "$prev" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W \
		    "$(_fishhook_options "$cmd")" -- "$cur")
		return 0
	fi
	case $cmd in
	wait | close | export | log | tail)
		mapfile -t COMPREPLY < <(compgen -W \
		    "$(_fishhook_hooks "${program[@]}")" -- "$cur")
		;;
	reply)
		[ "$operands" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W \
		    "$(_fishhook_hooks "${program[@]}")" -- "$cur")
		;;
	help)
		[ "$operands" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W \
		    'close export field help log ls replay reply send sessions show
		    sign spawn start status stop tail verify version wait' \
		    -- "$cur")
		;;
	send)
		[ "$operands" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W \
		    'GET POST PUT PATCH DELETE HEAD OPTIONS' -- "$cur")
		;;
	esac
	return 0
}

complete -F _fishhook fish

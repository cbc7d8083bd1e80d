#compdef fish
# zsh completion for fish, the webhook tool (not the fish shell).
#
# Completes commands, options, session names (-S: the directories under
# $FISH_HOME/sessions) and hook names, which it asks the session's listener
# for with "ls --json --no-start", so that completing never starts one.
# Installed as _NAME in a directory of $fpath; make install writes the
# installed name on the first line (see Makefile.am).

local curcontext=$curcontext state state_descr line ret=1 prog=$words[1]
local -a session_args
typeset -A opt_args

# Complete the session names.
(( $+functions[_fishhook_sessions] )) ||
_fishhook_sessions() {
	local home=${FISH_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/fish}
	local -a sessions
	sessions=( $home/sessions/*(N/:t) )
	_wanted sessions expl session compadd -a sessions
}

# Complete the names of the hooks of the session, if its listener runs.
(( $+functions[_fishhook_hooks] )) ||
_fishhook_hooks() {
	local -a hooks
	hooks=( ${(f)"$(_call_program hooks $prog $session_args ls --json \
	    --no-start 2>/dev/null | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')"} )
	_wanted hooks expl hook compadd -a hooks
}

local -a colour=('--color=-[colour the output]::when:(auto always never)')
local -a filters=('--method=[only requests of method M]:method'
    '--status=[only those answered S (404, 4xx, >=400)]:status'
    '--event=[only messages naming event E]:event'
    '*--where=[only those FILTER matches]:filter')
local -a body=('--body=[answer with body T, file @F or stdin @-]:body:_files -P @')
local -a header=('*'{-H+,--header=}'[add a header]:header (Name\: value)')
# The proxy options of send and replay.
local -a proxy=(
	'(-x --proxy)'{-x+,--proxy=}'[use this proxy]:URL:_urls'
	'--noproxy=[hosts to reach without the proxy]:hosts'
	'--proxy-user=[basic authentication to the proxy]:USER\:PASSWORD'
	'*--proxy-header=[send a header to the proxy alone]:header (Name\: value):_files -P @'
)

_arguments -C -S \
	'(- *)'{-h,--help}'[show the help]' \
	'(- *)'{-V,--version}'[show the version]' \
	'(-S --session)'{-S+,--session=}'[use a session]:session:_fishhook_sessions' \
	'1:command:->command' \
	'*::argument:->argument' && ret=0

case $state in
command)
	local -a everyday others
	everyday=(
		'spawn:create a hook and print its URL'
		'send:make an HTTP request and print the response body'
		'wait:take the next message of any listed hook and print it'
	)
	others=(
		'close:close a hook: later requests get 410 Gone'
		'export:write the timeline as a HAR file'
		'field:print the value at a JSON pointer of JSON on stdin'
		'help:show the commands, or a command'"'"'s options'
		'log:show what was sent and received, in order'
		'ls:list the hooks'
		'replay:send a recorded request again'
		'reply:answer a request held by a --hold hook'
		'sessions:list the sessions and their listeners'
		'show:print one message whole, or as a curl command'
		'sign:print the signature headers of a body'
		'start:start the session'"'"'s listener and print its URL'
		'status:show the listener'"'"'s pid, URL, hooks and counts'
		'stop:stop the session'"'"'s listener'
		'tail:follow messages live as they are sent and received'
		'verify:check a request'"'"'s signature offline'
		'version:show the version'
	)
	_describe -t everyday-commands 'everyday command' everyday && ret=0
	_describe -t commands 'command' others && ret=0
	;;
argument)
	[[ -n ${opt_args[-S]:-${opt_args[--session]}} ]] &&
	    session_args=(-S ${opt_args[-S]:-${opt_args[--session]}})
	curcontext=${curcontext%:*:*}:$service-$words[1]:
	case $words[1] in
	close)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '1:hook:_fishhook_hooks' && ret=0 ;;
	export)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--har=[write HAR 1.2 to FILE]:file:_files' \
		    '*:hook:_fishhook_hooks' && ret=0 ;;
	field)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--raw[print control characters as they are]' \
		    '1:JSON pointer' && ret=0 ;;
	help)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '1:command:(close export field help log ls replay reply send sessions show sign spawn start status stop tail verify version wait)' \
		    && ret=0 ;;
	log)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--json[print one JSON object per line]' \
		    '--limit=[only the last N messages]:count' \
		    '--since=[only messages of the last D]:duration' \
		    $filters \
		    $colour '*:hook:_fishhook_hooks' && ret=0 ;;
	ls)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--json[print one JSON object per hook]' \
		    '--no-start[exit 3 rather than start the listener]' \
		    && ret=0 ;;
	replay)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--to=[send it there instead]:URL:_urls' \
		    '--json[print the result as one JSON object]' \
		    '--raw[print control characters as they are]' \
		    $proxy \
		    '1:message number' && ret=0 ;;
	reply)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--status=[answer with status N]:status' $header $body \
		    '1:message or hook:_fishhook_hooks' && ret=0 ;;
	send)
		_arguments -S '(- *)'{-h,--help}'[show the help]' $header \
		    '(--data)--json=[send JSON text T, file @F or stdin @-]:JSON:_files -P @' \
		    '(--json)--data=[send T, file @F or stdin @-]:data:_files -P @' \
		    '--timeout=[give up on an attempt after D]:duration' \
		    '--retry=[try again up to N times]:count' \
		    '--expect=[statuses that succeed]:codes' \
		    '--sign=[sign the body as SCHEME would]:SCHEME\:SECRET' \
		    '(-i --include)'{-i,--include}'[print the status line and headers]' \
		    '(-L --location)'{-L,--location}'[follow redirects]' \
		    '(-o --output)'{-o+,--output=}'[write the output to FILE]:file:_files' \
		    '(-q --quiet)'{-q,--quiet}'[print no body]' \
		    '*'{-F+,--form=}'[add a multipart/form-data part]:NAME=VALUE' \
		    '(-u --user)'{-u+,--user=}'[basic authentication]:USER\:PASSWORD' \
		    '(-v --verbose)'{-v,--verbose}'[print both heads on stderr]' \
		    '(-w --write-out)'{-w+,--write-out=}'[print FORMAT after the body]:format' \
		    '(-k --insecure --cacert)'{-k,--insecure}'[do not check the certificate]' \
		    '(-k --insecure)--cacert=[trust the certificates in FILE]:file:_files' \
		    '*--data-urlencode=[send S URL-encoded]:spec:_files -P @' \
		    '(-G --get)'{-G,--get}'[put the data in the URL query and GET]' \
		    $proxy \
		    '--compressed[ask for a compressed response]' \
		    '--max-response=[fail on a body larger than SIZE]:size' \
		    '--raw[print control characters as they are]' \
		    '1:method:(GET POST PUT PATCH DELETE HEAD OPTIONS)' \
		    '*:URL or item:_urls' && ret=0 ;;
	show)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '(--curl)--json[print the message as one JSON object]' \
		    '(--json)--curl[print a curl command]' \
		    '--raw[print control characters as they are]' \
		    $colour '1:message number' && ret=0 ;;
	sign)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--id=[webhook-id for standard]:id' \
		    '--timestamp=[unix time]:time' \
		    '1:SCHEME\:SECRET' && ret=0 ;;
	spawn)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--name=[also call the hook LABEL]:label' \
		    '--status=[answer with status N]:status' $header $body \
		    '--hold[keep each request open until reply]' \
		    '--hold-timeout=[then answer 504 after D]:duration' \
		    '--echo=[answer the value of PARAM]:parameter' \
		    '--forward-to=[also pass each request on to URL]:URL:_urls' \
		    '--ttl=[close the hook after D]:duration' \
		    '--verify=[check signatures: SCHEME\:SECRET]:spec' \
		    '--tolerance=[accept timestamps up to D from now]:duration' \
		    '--json[print the URL, token and name as JSON]' \
		    && ret=0 ;;
	start)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--listen=[listen there]:HOST\:PORT' \
		    '--public-url=[print hook URLs under URL]:URL:_urls' \
		    '(--no-tunnel)--tunnel=[run a tunnel client, hook URLs under its URL]:tunnel:(cloudflared ngrok ssh\: cmd\:)' \
		    '(--tunnel)--no-tunnel[run no tunnel, forgetting a saved one]' \
		    '--tunnel-url-pattern=[find the tunnel URL with REGEX]:regex' \
		    '--tunnel-timeout=[wait at most D for the tunnel URL]:duration' \
		    '--retain=[keep the history for D]:duration' \
		    '--idle-exit=[stop the listener once idle for D]:duration' \
		    '--store=[keep the records in journal or a shared Redis]:url' \
		    '--store-replicas=[acknowledge once N Redis replicas have it]:count' \
		    '--tls-cert=[serve HTTPS with this certificate]:file:_files' \
		    '--tls-key=[and this private key]:file:_files' \
		    '--no-tls[serve plain HTTP]' \
		    '--max-body=[answer 413 to bodies over SIZE]:size' \
		    '--idle-timeout=[cut idle connections after D]:duration' \
		    '--max-connections=[serve at most N connections]:count' \
		    '--max-per-ip=[and at most N from one address]:count' \
		    '--max-header=[answer 431 to headers near SIZE]:size' \
		    '--max-inflight=[answer 503 past SIZE of bodies in memory]:size' \
		    '--foreground[run the listener in this process]' && ret=0 ;;
	sessions)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--json[print one JSON object per session]' && ret=0 ;;
	status)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--json[print one JSON object]' && ret=0 ;;
	stop)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--all[stop every session]' \
		    '--purge[also delete the session'"'"'s state]' \
		    '--timeout=[wait at most D for it to exit]:duration' && ret=0 ;;
	tail)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--json[print one JSON object per line]' $filters \
		    $colour '*:hook:_fishhook_hooks' && ret=0 ;;
	verify)
		_arguments -S '(- *)'{-h,--help}'[show the help]' $header \
		    '--tolerance=[largest distance of a timestamp from now]:duration' \
		    '--now=[check as if it were unix time T]:time' \
		    '1:SCHEME\:SECRET' && ret=0 ;;
	version)
		_arguments -S '(- *)'{-h,--help}'[show the help]' && ret=0 ;;
	wait)
		_arguments -S '(- *)'{-h,--help}'[show the help]' \
		    '--timeout=[give up after D]:duration' \
		    '--count=[take N messages]:count' \
		    '(--drain)--follow[print messages as NDJSON as they come]' \
		    '(--follow --timeout)--drain[take what is queued now, without waiting]' \
		    '*--where=[only a message that matches]:filter' \
		    '(--field --headers)--json[print the message as one JSON line]' \
		    '(--json --headers)--field=[print the value at JSON pointer PTR]:pointer' \
		    '(--json --field)--headers[print the request line and headers]' \
		    '--peek[leave the message queued]' \
		    '--raw[print control characters as they are]' \
		    '--no-progress[show no waiting line]' \
		    '*:hook:_fishhook_hooks' && ret=0 ;;
	esac
	;;
esac

return ret

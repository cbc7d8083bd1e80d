# fish shell completion for fish, the webhook tool (which is not the fish
# shell: installed under another name, say fishhook, this file is
# fishhook.fish in a vendor_completions.d directory).
#
# Completes commands, options, session names (-S: the directories under
# $FISH_HOME/sessions) and hook names, which it asks the session's listener
# for with "ls --json --no-start", so that completing never starts one.
# make install writes the installed name on the next line (see Makefile.am).
set -l prog fish

# Print the session names.
function __fishhook_sessions
    set -l home $FISH_HOME
    if test -z "$home"
        set home $XDG_STATE_HOME
        test -z "$home"; and set home $HOME/.local/state
        set home $home/fish
    end
    for dir in $home/sessions/*/
        basename $dir
    end
end

# Print the names of the hooks of the session named on the command line
# (or $FISH_SESSION's), if its listener runs.
function __fishhook_hooks
    set -l words (commandline -opc)
    set -l args $words[1]
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case -S --session
                set i (math $i + 1)
                set -a args -S $words[$i]
            case '-S?*' '--session=*'
                set -a args $words[$i]
            case '-*'
            case '*'
                break
        end
        set i (math $i + 1)
    end
    $args ls --json --no-start 2>/dev/null |
        string replace -r -f '.*"name":"([^"]*)".*' '$1'
end

set -l commands close export field help log ls replay reply send sessions show sign spawn start status stop tail verify version wait
set -l none "not __fish_seen_subcommand_from $commands"

complete -c $prog -f

# Before the command: global options, then the commands.
complete -c $prog -n $none -s S -l session -x -a '(__fishhook_sessions)' -d 'Use a session'
complete -c $prog -n $none -s h -l help -d 'Show the help'
complete -c $prog -n $none -s V -l version -d 'Show the version'
complete -c $prog -n $none -a spawn -d 'Create a hook, print its URL'
complete -c $prog -n $none -a send -d 'Make an HTTP request'
complete -c $prog -n $none -a wait -d 'Take the next message of a hook'
complete -c $prog -n $none -a close -d 'Close a hook'
complete -c $prog -n $none -a export -d 'Write the timeline as a HAR file'
complete -c $prog -n $none -a field -d 'Print a value of JSON on stdin'
complete -c $prog -n $none -a help -d 'Show the commands, or a command'
complete -c $prog -n $none -a log -d 'Show what was sent and received'
complete -c $prog -n $none -a ls -d 'List the hooks'
complete -c $prog -n $none -a replay -d 'Send a recorded request again'
complete -c $prog -n $none -a reply -d 'Answer a held request'
complete -c $prog -n $none -a sessions -d 'List the sessions'
complete -c $prog -n $none -a show -d 'Print one message whole'
complete -c $prog -n $none -a sign -d 'Print the signature headers of a body'
complete -c $prog -n $none -a start -d 'Start the listener'
complete -c $prog -n $none -a status -d 'Show the listener and its counts'
complete -c $prog -n $none -a stop -d 'Stop the listener'
complete -c $prog -n $none -a tail -d 'Follow messages live'
complete -c $prog -n $none -a verify -d 'Check a signature offline'
complete -c $prog -n $none -a version -d 'Show the version'

# Every command's -h.
complete -c $prog -n "__fish_seen_subcommand_from $commands" -s h -l help -d 'Show the help'

# Operands.
complete -c $prog -n '__fish_seen_subcommand_from wait close export log tail reply' -a '(__fishhook_hooks)' -d Hook
complete -c $prog -n '__fish_seen_subcommand_from help' -a "$commands"
complete -c $prog -n '__fish_seen_subcommand_from send' -a 'GET POST PUT PATCH DELETE HEAD OPTIONS'

# Options, command by command.
set -l c '__fish_seen_subcommand_from export'
complete -c $prog -n $c -l har -r -d 'Write HAR 1.2 to FILE'

set c '__fish_seen_subcommand_from log'
complete -c $prog -n $c -l json -d 'One JSON object per line'
complete -c $prog -n $c -l limit -x -d 'Only the last N messages'
complete -c $prog -n $c -l since -x -d 'Only messages of the last D'
complete -c $prog -n $c -l method -x -d 'Only requests of method M'
complete -c $prog -n $c -l status -x -d 'Only those answered S (404, 4xx, >=400)'
complete -c $prog -n $c -l event -x -d 'Only messages naming event E'
complete -c $prog -n $c -l where -x -d 'Only those FILTER matches'
complete -c $prog -n $c -l color -x -a 'auto always never' -d 'Colour the output'

set c '__fish_seen_subcommand_from ls'
complete -c $prog -n $c -l json -d 'One JSON object per hook'
complete -c $prog -n $c -l no-start -d 'Exit 3 rather than start the listener'

set c '__fish_seen_subcommand_from replay'
complete -c $prog -n $c -l to -x -d 'Send it there instead'
complete -c $prog -n $c -l json -d 'One JSON object'
complete -c $prog -n $c -l raw -d 'Control characters as they are'
complete -c $prog -n $c -s x -l proxy -x -d 'Use this proxy'
complete -c $prog -n $c -l noproxy -x -d 'Hosts to reach without the proxy'
complete -c $prog -n $c -l proxy-user -x -d 'Basic authentication to the proxy'
complete -c $prog -n $c -l proxy-header -x -d 'Send a header to the proxy alone'

set c '__fish_seen_subcommand_from field'
complete -c $prog -n $c -l raw -d 'Control characters as they are'

set c '__fish_seen_subcommand_from reply'
complete -c $prog -n $c -l status -x -d 'Answer with status N'
complete -c $prog -n $c -s H -l header -x -d 'Add a header'
complete -c $prog -n $c -l body -r -d 'Answer with body T, @FILE or @-'

set c '__fish_seen_subcommand_from send'
complete -c $prog -n $c -s H -l header -x -d 'Add a request header'
complete -c $prog -n $c -l json -r -d 'Send JSON T, @FILE or @-'
complete -c $prog -n $c -l data -r -d 'Send T, @FILE or @-'
complete -c $prog -n $c -l timeout -x -d 'Give up on an attempt after D'
complete -c $prog -n $c -l retry -x -d 'Try again up to N times'
complete -c $prog -n $c -l expect -x -d 'Statuses that succeed'
complete -c $prog -n $c -l sign -x -d 'Sign as SCHEME:SECRET'
complete -c $prog -n $c -s i -l include -d 'Print the status line and headers'
complete -c $prog -n $c -s L -l location -d 'Follow redirects'
complete -c $prog -n $c -s o -l output -r -F -d 'Write the output to FILE'
complete -c $prog -n $c -s q -l quiet -d 'Print no body'
complete -c $prog -n $c -l data-urlencode -r -d 'Send S URL-encoded'
complete -c $prog -n $c -s F -l form -r -d 'Add a multipart/form-data part'
complete -c $prog -n $c -s u -l user -x -d 'Basic authentication USER:PASSWORD'
complete -c $prog -n $c -s v -l verbose -d 'Print both heads on stderr'
complete -c $prog -n $c -s w -l write-out -x -d 'Print FORMAT after the body'
complete -c $prog -n $c -s k -l insecure -d 'Do not check the certificate'
complete -c $prog -n $c -l cacert -r -F -d 'Trust the certificates in FILE'
complete -c $prog -n $c -s x -l proxy -x -d 'Use this proxy'
complete -c $prog -n $c -l noproxy -x -d 'Hosts to reach without the proxy'
complete -c $prog -n $c -l proxy-user -x -d 'Basic authentication to the proxy'
complete -c $prog -n $c -l proxy-header -x -d 'Send a header to the proxy alone'
complete -c $prog -n $c -s G -l get -d 'Put the data in the URL query, GET'
complete -c $prog -n $c -l compressed -d 'Ask for a compressed response'
complete -c $prog -n $c -l max-response -x -d 'Fail on a body larger than SIZE'
complete -c $prog -n $c -l raw -d 'Control characters as they are'

set c '__fish_seen_subcommand_from show'
complete -c $prog -n $c -l json -d 'One JSON object'
complete -c $prog -n $c -l curl -d 'A curl command'
complete -c $prog -n $c -l raw -d 'Control characters as they are'
complete -c $prog -n $c -l color -x -a 'auto always never' -d 'Colour the output'

set c '__fish_seen_subcommand_from sign'
complete -c $prog -n $c -l id -x -d 'webhook-id for standard'
complete -c $prog -n $c -l timestamp -x -d 'Unix time'

set c '__fish_seen_subcommand_from spawn'
complete -c $prog -n $c -l name -x -d 'Also call the hook LABEL'
complete -c $prog -n $c -l status -x -d 'Answer with status N'
complete -c $prog -n $c -s H -l header -x -d 'Add a header to the answer'
complete -c $prog -n $c -l body -r -d 'Answer with body T, @FILE or @-'
complete -c $prog -n $c -l hold -d 'Keep each request open until reply'
complete -c $prog -n $c -l hold-timeout -x -d 'Then answer 504 after D'
complete -c $prog -n $c -l echo -x -d 'Answer the value of PARAM'
complete -c $prog -n $c -l forward-to -x -d 'Also pass each request on to URL'
complete -c $prog -n $c -l ttl -x -d 'Close the hook after D'
complete -c $prog -n $c -l verify -x -d 'Check signatures: SCHEME:SECRET'
complete -c $prog -n $c -l tolerance -x -d 'Accept timestamps up to D away'
complete -c $prog -n $c -l json -d 'Print the URL, token and name as JSON'

set c '__fish_seen_subcommand_from start'
complete -c $prog -n $c -l listen -x -d 'Listen on HOST:PORT'
complete -c $prog -n $c -l public-url -x -d 'Print hook URLs under URL'
complete -c $prog -n $c -l tunnel -x -a 'cloudflared ngrok ssh: cmd:' -d 'Run a tunnel client, hook URLs under its URL'
complete -c $prog -n $c -l no-tunnel -d 'Run no tunnel, forgetting a saved one'
complete -c $prog -n $c -l tunnel-url-pattern -x -d 'Find the tunnel URL with REGEX'
complete -c $prog -n $c -l tunnel-timeout -x -d 'Wait at most D for the tunnel URL'
complete -c $prog -n $c -l retain -x -d 'Keep the history for D'
complete -c $prog -n $c -l idle-exit -x -d 'Stop the listener once idle for D'
complete -c $prog -n $c -l store -x -d 'Keep the records in journal or a shared Redis'
complete -c $prog -n $c -l store-replicas -x -d 'Acknowledge once N Redis replicas have it'
complete -c $prog -n $c -l tls-cert -r -F -d 'Serve HTTPS with this certificate'
complete -c $prog -n $c -l tls-key -r -F -d 'And this private key'
complete -c $prog -n $c -l no-tls -d 'Serve plain HTTP'
complete -c $prog -n $c -l max-body -x -d 'Answer 413 to bodies over SIZE'
complete -c $prog -n $c -l idle-timeout -x -d 'Cut idle connections after D'
complete -c $prog -n $c -l max-connections -x -d 'Serve at most N connections'
complete -c $prog -n $c -l max-per-ip -x -d 'And at most N from one address'
complete -c $prog -n $c -l max-header -x -d 'Answer 431 to headers near SIZE'
complete -c $prog -n $c -l max-inflight -x -d 'Answer 503 past SIZE of bodies in memory'
complete -c $prog -n $c -l foreground -d 'Run the listener in this process'

set c '__fish_seen_subcommand_from status'
complete -c $prog -n $c -l json -d 'One JSON object'

set c '__fish_seen_subcommand_from sessions'
complete -c $prog -n $c -l json -d 'One JSON object per session'

set c '__fish_seen_subcommand_from stop'
complete -c $prog -n $c -l all -d 'Stop every session'
complete -c $prog -n $c -l purge -d "Also delete the session's state"
complete -c $prog -n $c -l timeout -x -d 'Wait at most D for it to exit'

set c '__fish_seen_subcommand_from tail'
complete -c $prog -n $c -l json -d 'One JSON object per line'
complete -c $prog -n $c -l method -x -d 'Only requests of method M'
complete -c $prog -n $c -l status -x -d 'Only those answered S (404, 4xx, >=400)'
complete -c $prog -n $c -l event -x -d 'Only messages naming event E'
complete -c $prog -n $c -l where -x -d 'Only those FILTER matches'
complete -c $prog -n $c -l color -x -a 'auto always never' -d 'Colour the output'

set c '__fish_seen_subcommand_from verify'
complete -c $prog -n $c -s H -l header -x -d 'A header of the request'
complete -c $prog -n $c -l tolerance -x -d 'Largest distance of a timestamp'
complete -c $prog -n $c -l now -x -d 'Check as if it were unix time T'

set c '__fish_seen_subcommand_from wait'
complete -c $prog -n $c -l timeout -x -d 'Give up after D'
complete -c $prog -n $c -l count -x -d 'Take N messages'
complete -c $prog -n $c -l follow -d 'Print messages as NDJSON as they come'
complete -c $prog -n $c -l drain -d 'Take what is queued now, without waiting'
complete -c $prog -n $c -l where -x -d 'Only a message that matches'
complete -c $prog -n $c -l json -d 'The message as one JSON line'
complete -c $prog -n $c -l field -x -d 'The value at JSON pointer PTR'
complete -c $prog -n $c -l headers -d 'The request line and headers too'
complete -c $prog -n $c -l peek -d 'Leave the message queued'
complete -c $prog -n $c -l raw -d 'Control characters as they are'
complete -c $prog -n $c -l no-progress -d 'Show no waiting line'

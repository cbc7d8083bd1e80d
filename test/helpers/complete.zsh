#!/usr/bin/env zsh
# usage: complete.zsh FUNCTION_DIR 'COMMAND LINE'
#
# Print what zsh's completion offers for COMMAND LINE, one match a line,
# with the completion functions of FUNCTION_DIR first in $fpath.  An
# interactive zsh runs in a pseudo-terminal (zsh/zpty); the line is typed
# into it followed by a Tab, and a compadd that records each match in a
# file stands in for the builtin, so that what is read is what completion
# computed, not what the terminal shows.
emulate -L zsh
zmodload zsh/zpty || exit 2
dir=${1:a}
line=$2
tmp=$(mktemp -d) || exit 2
trap 'zpty -d complete 2>/dev/null; rm -rf $tmp' EXIT

cat >$tmp/setup.zsh <<EOF
PS1='' RPS1=''
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' menu no
compadd() {
	# Calls that only collect or test matches are not offers.
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a hits
	builtin compadd -O hits "\$@"
	(( \$#hits )) && print -rl -- \$hits >>$tmp/matches
	builtin compadd "\$@"
}
_complete_test_done() { print -r -- done >$tmp/done }
comppostfuncs=(_complete_test_done)
print -r -- ready >$tmp/ready
EOF

zpty complete zsh -f -i
zpty -w complete "source ${(q)tmp}/setup.zsh"
for i in {1..500}; do
	[[ -e $tmp/ready ]] && break
	sleep 0.02
done
[[ -e $tmp/ready ]] || { print -u2 "complete.zsh: zsh did not start"; exit 2 }
touch $tmp/matches
zpty -n -w complete "$line"$'\t'
for i in {1..500}; do
	[[ -e $tmp/done ]] && break
	sleep 0.02
done
[[ -e $tmp/done ]] || { print -u2 "complete.zsh: no completion came"; exit 2 }
sort -u $tmp/matches

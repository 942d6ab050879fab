# ork.bash - bash completion of ork, the command line of ork.
#
#   source deploy/completion/ork.bash
#   # or: cp deploy/completion/ork.bash /etc/bash_completion.d/ork
#
# Completes commands, subcommands, flags and fixed values (statuses,
# roles); job ids after a command that takes a JOB, from "ork jobs list
# -q" (quietly nothing when the server cannot be asked).

_ork() {
	local cur prev cmd sub i words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	local globals="--url --token --json --quiet -q --no-color --help -h --version"
	local commands="login logout jobs run runs logs watch status users tokens health version help"

	# the command and subcommand are the first words that are not flags
	# (nor the values of --url and --token)
	cmd=
	sub=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--url | --token) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			elif [[ -z $sub ]]; then
				sub=${COMP_WORDS[i]}
			fi
			;;
		esac
	done

	case $prev in
	--url | --token | -f | --file | --param | -p | --reason | --username | -u | \
		--user | --limit | -n | --attempt | --expires-in-days)
		[[ $prev == -f || $prev == --file ]] && COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--status | -s)
		COMPREPLY=($(compgen -W "queued running success failed cancelled" -- "$cur"))
		return 0
		;;
	--role | -r)
		COMPREPLY=($(compgen -W "viewer operator admin" -- "$cur"))
		return 0
		;;
	--job | -j)
		COMPREPLY=($(compgen -W "$(ork jobs list -q 2>/dev/null)" -- "$cur"))
		return 0
		;;
	esac

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
		return 0
	fi

	local subs= flags=
	case $cmd in
	login) flags="--username --password-stdin" ;;
	jobs)
		subs="list get create apply update delete pause resume"
		case $sub in
		list) flags="--active --paused" ;;
		create | apply | update) flags="-f --file" ;;
		esac
		;;
	run) flags="--wait --param" ;;
	runs)
		subs="list get tasks cancel retry"
		case $sub in
		list) flags="--job --status --limit" ;;
		cancel) flags="--reason" ;;
		esac
		;;
	logs) flags="--follow --attempt" ;;
	watch) flags="--job" ;;
	users)
		subs="list create delete"
		[[ $sub == create ]] && flags="--role --password-stdin"
		;;
	tokens)
		subs="list create revoke"
		[[ $sub == create ]] && flags="--user --expires-in-days"
		;;
	help)
		[[ -z $sub ]] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return 0
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
	elif [[ -n $subs && -z $sub ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
	elif [[ $cmd == run && -z $sub ]] ||
		[[ $cmd == jobs && $sub =~ ^(get|update|delete|pause|resume)$ ]]; then
		COMPREPLY=($(compgen -W "$(ork jobs list -q 2>/dev/null)" -- "$cur"))
	fi
	return 0
}

complete -o default -F _ork ork

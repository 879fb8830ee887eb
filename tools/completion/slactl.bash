# bash completion for slactl; installed as
# share/bash-completion/completions/slactl (loaded on demand by
# bash-completion), or source it from ~/.bashrc.
#
# Completes the commands, the global options and each command's own
# options, the socket and configuration paths, user names after --by, and
# the metric names after `ack ID` (a customer's after `ack --kind customer
# ID`). Ids are not completed: that would mean asking slad on every Tab.

_slactl()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="status ticket customer due breached ack deliveries replay reload report partition"
    local metrics="first_response next_response pickup periodic_update resolution follow_up callback"
    local customer_metrics="first_revisit second_revisit revisit reminder review survey"
    COMPREPLY=()

    case $prev in
        -s | --socket | -c | --config)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        --within)
            COMPREPLY=($(compgen -W "5m 10m 15m 30m 1h 2h 4h 1d" -- "$cur"))
            return ;;
        --limit)
            COMPREPLY=($(compgen -W "10 50 100 1000" -- "$cur"))
            return ;;
        --kind)
            COMPREPLY=($(compgen -W "ticket customer" -- "$cur"))
            return ;;
        --by)
            # report: policy or a dimension (report.dimensions); ack: a user.
            if [[ " ${COMP_WORDS[*]} " == *" report "* ]]; then
                COMPREPLY=($(compgen -W "policy channel group assignee" -- "$cur"))
            else
                COMPREPLY=($(compgen -u -- "$cur"))
            fi
            return ;;
        --metric)
            COMPREPLY=($(compgen -W "$metrics" -- "$cur"))
            return ;;
        --from | --to)
            COMPREPLY=($(compgen -W "$(date +%F)" -- "$cur"))
            return ;;
    esac

    # The command is the first word that is neither an option nor the
    # argument of -s or -c; npos counts its arguments before the cursor.
    local i w cmd="" npos=0 kind=ticket
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -z $cmd ]]; then
            case $w in
                -s | --socket | -c | --config) ((i++)) ;;
                -*) ;;
                *) cmd=$w ;;
            esac
        else
            case $w in
                --kind) kind=${COMP_WORDS[i + 1]}; ((i++)) ;;
                --within | --limit | --by | --metric | --from | --to) ((i++)) ;;
                -*) ;;
                *) ((npos++)) ;;
            esac
        fi
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-s --socket -c --config --json -h --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local opts="--json --help"
    case $cmd in
        due) opts+=" --within --kind --limit" ;;
        breached) opts+=" --kind --limit" ;;
        deliveries) opts+=" --dead --limit" ;;
        ack) opts+=" --kind --by" ;;
        report) opts+=" --from --to --by --metric --csv" ;;
        partition) opts+=" --partitions" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $cmd == ack ]] && ((npos == 1)); then
        [[ $kind == customer ]] && metrics=$customer_metrics
        COMPREPLY=($(compgen -W "$metrics" -- "$cur"))
    fi
}
complete -F _slactl slactl

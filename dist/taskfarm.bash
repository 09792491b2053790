# bash completion for taskfarm. The subcommands and options are read from the program's own
# `taskfarm [SUBCOMMAND] --help`, so they never drift from it; other words complete as files.
_taskfarm() {
  local cur=${COMP_WORDS[COMP_CWORD]} program=${COMP_WORDS[0]} sub="" word subcommands
  subcommands=$("$program" --help 2>/dev/null | awk '/^Subcommands:/ {s = 1; next} s && /^  [a-z]/ {print $1}')
  for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    if [[ " $subcommands " == *[[:space:]]"$word"[[:space:]]* ]]; then
      sub=$word
      break
    fi
  done
  if [[ $cur == -* ]]; then
    # shellcheck disable=SC2086  # no subcommand: the program's own options
    COMPREPLY=($(compgen -W "$("$program" $sub --help 2>/dev/null | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)" -- "$cur"))
  elif [[ -z $sub ]]; then
    COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _taskfarm taskfarm

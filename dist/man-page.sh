#!/bin/sh
# Writes the man page of `taskfarm [SUBCOMMAND]` from its own --help (help2man), so the page
# cannot drift from the program. Usage: man-page.sh TASKFARM VERSION OUTPUT [SUBCOMMAND]
set -eu
taskfarm=$1 version=$2 output=$3 sub=${4:-}
if [ -n "$sub" ]; then
  name=$("$taskfarm" --help | awk -v s="$sub" '$1 == s { $1 = ""; sub(/^ +/, ""); print }')
  help2man --no-info --no-discard-stderr --help-option="$sub --help" \
    --version-string="$version" --name="$name" "$taskfarm" |
    sed -e "s/^\.TH TASKFARM /.TH TASKFARM-$(echo "$sub" | tr a-z A-Z) /" \
        -e "/^\.SH NAME/{n;s/^taskfarm /taskfarm-$sub /;}" >"$output"
else
  help2man --no-info --no-discard-stderr --version-string="$version" \
    --name="a multiprocess worker farm for CPU-heavy and rate-limited network jobs" \
    "$taskfarm" >"$output"
fi

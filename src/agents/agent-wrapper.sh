#!/bin/sh
# The agent wrapper in POSIX sh: `sh agent-wrapper.sh AGENT_DIR CMD ARGS…` (the same contract as
# agent-wrapper.ts, which it replaces: starting Node for every agent cost ~130 ms of CPU; sh costs
# about 1 ms). The service starts it as the leader of the agent's process group; it claims the
# launch (O_EXCL pid file), runs the command in the foreground with the same stdin/stdout/stderr,
# and when the command ends writes the exit record (agents/exit-record.ts) before exiting the same
# way (same code, or the same signal re-raised).
dir=$1
shift
# The claim of this launch (noclobber = O_EXCL): a launch a restarted service declared lost first
# runs nothing. (No subshell, no external command on the way in or out but the command itself and
# the record's rename: each fork is a few ms on a loaded machine, and an agent's start and end are
# on the dispatch path.)
set -C
if ! { printf '%s\n' "$$" > "$dir/pid"; } 2>/dev/null; then
  [ -e "$dir/pid" ] && exit 0
  echo "agent-wrapper: cannot write $dir/pid" >&2
  exit 1
fi
set +C
json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n\r\t'; }
# The record is written to a temp file and renamed into place; when it was written is its mtime
# (exit-record.ts reads it as `at`).
record() {
  tmp="$dir/exit.tmp-$$"
  printf '{%s}\n' "$1" > "$tmp" 2>/dev/null && mv -f "$tmp" "$dir/exit" 2>/dev/null
}
launch_error() {
  record "\"code\":null,\"signal\":null,\"launch_error\":\"spawn $(json "$1") $2\""
  exit 127
}
# A command that cannot start is a failed spawn, not an agent that ran and failed.
case $1 in
  */*) [ -e "$1" ] || launch_error "$1" ENOENT; [ -f "$1" ] && [ -x "$1" ] || launch_error "$1" EACCES ;;
  *) command -v "$1" > /dev/null 2>&1 || launch_error "$1" ENOENT ;;
esac
# Its path, as the command search finds it (PATH walked here: no subshell).
case $1 in
  */*) path=$1 ;;
  *)
    path=
    ifs=$IFS
    IFS=:
    set -f
    for d in $PATH; do
      if [ -f "${d:-.}/$1" ] && [ -x "${d:-.}/$1" ]; then
        path=${d:-.}/$1
        break
      fi
    done
    set +f
    IFS=$ifs ;;
esac
# Signals go to the whole group: the command gets them directly. The wrapper waits for it (a
# trap runs only after the foreground command ends), so its end is recorded; SIGKILL ends both.
trap ':' TERM INT HUP
"$@"
rc=$?
# 127 from a script whose #! interpreter is missing: it never started (a launch error). Looked at
# only then: `read` takes a byte per system call, so reading the first line of every command (a
# binary's can be long) cost each start milliseconds.
if [ "$rc" -eq 127 ] && [ -f "$path" ] && IFS= read -r first < "$path" 2> /dev/null; then
  case $first in
    '#!'*)
      interp=${first#??}
      interp=$(printf '%s' "$interp" | sed 's/^[ \t]*//; s/[ \t].*$//')
      [ -x "$interp" ] || launch_error "$1" ENOENT ;;
  esac
fi
if [ "$rc" -gt 128 ] && sig=$(kill -l "$((rc - 128))" 2> /dev/null) && [ -n "$sig" ]; then
  record "\"code\":null,\"signal\":\"SIG${sig#SIG}\""
  trap - TERM INT HUP
  kill -s "${sig#SIG}" $$
  exit "$rc"
fi
record "\"code\":$rc,\"signal\":null"
exit "$rc"

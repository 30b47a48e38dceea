#!/usr/bin/env bash
# A 20-second tour on a small demo graph, in a temp directory: real `wg` commands, a real
# .wg/ store, and the real service dispatching each ready task to an agent process (the shell
# executor runs each task's --exec) — then a hung agent recovered with `wg retry`.
set -euo pipefail
WG=${WG:-wg}
demo=$(mktemp -d "${TMPDIR:-/tmp}/wg-demo.XXXXXX")
cleanup() { (cd "$demo" && $WG service stop --kill-agents >/dev/null 2>&1) || true; rm -rf "$demo"; }
trap cleanup EXIT
cd "$demo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(eval(process.argv[1]))})' "$1"; }

say "1. A new workgraph, agents run each task's shell command"
$WG init
sed -i 's/^executor = .*/executor = "shell"/; s/^kill_grace = .*/kill_grace = "1s"/; s/^settling_delay = .*/settling_delay = "200ms"/' .wg/config.toml

say "2. A small graph: design → (api, ui) → release, and an independent chore"
$WG add "Design the schema" -p high --exec 'sleep 1; wg log "$WG_TASK_ID" "schema: 3 tables"; wg artifact "$WG_TASK_ID" schema.sql'
$WG add "Build the API" --after design-the-schema --exec 'sleep 1.5; echo api built'
$WG add "Build the UI" --after design-the-schema --exec 'sleep 1; echo ui built'
$WG add "Release v1" --after build-the-api,build-the-ui --exec 'echo released v1'
$WG add "Tidy the docs" -p low --exec 'sleep 0.5'
$WG why-blocked release-v1

say "3. Start the service: ready tasks are dispatched to agents, in priority order"
$WG service start --max-agents 2
for _ in $(seq 1 100); do
  line=$($WG list --json | json 'v.map(t=>t.id.padEnd(18)+" "+t.status.padEnd(11)+(t.assigned?" "+t.assigned:"")).join("\n")')
  printf '\033[2m%s\033[0m\n---\n' "$line"
  [ "$($WG list --status done --json | json 'v.length')" = 5 ] && break
  sleep 0.7
done
$WG agents

say "4. An agent hangs; wg retry kills it and the service respawns the task"
$WG add "Flaky step" --exec 'if [ -e .wg/.second-try ]; then echo fine; else touch .wg/.second-try; sleep 300; fi'
for _ in $(seq 1 50); do [ "$($WG show flaky-step --json | json 'v.status')" = in-progress ] && break; sleep 0.2; done
$WG agents --alive
$WG retry flaky-step --reason "demo: agent hung"
for _ in $(seq 1 50); do [ "$($WG show flaky-step --json | json 'v.status')" = done ] && break; sleep 0.2; done
$WG log flaky-step

say "5. Everything done"
$WG status
$WG show release-v1
$WG service stop

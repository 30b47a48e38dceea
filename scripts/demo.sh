#!/usr/bin/env bash
# A 20-second tour on a small demo graph: real `wg` commands on a real .wg/ store in a temp
# directory. A worker loop claims ready tasks in priority order, runs each task's `exec`, and
# marks it done or failed — the same cycle the service runs for agents.
set -euo pipefail
WG=${WG:-wg}
command -v "$WG" >/dev/null || WG="node $(cd "$(dirname "$0")/.." && pwd)/dist/wg.mjs"
demo=$(mktemp -d "${TMPDIR:-/tmp}/wg-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
cd "$demo"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A new workgraph"
$WG init
say "2. A small graph: design → (api, ui) → release, plus an independent chore"
$WG add "Design the schema" --exec 'sleep 0.2; echo schema designed' -p high
$WG add "Build the API" --after design-the-schema --exec 'sleep 0.3; echo api built'
$WG add "Build the UI" --after design-the-schema --exec 'sleep 0.3; echo ui built'
$WG add "Release v1" --after build-the-api,build-the-ui --exec 'echo released'
$WG add "Tidy the docs" --exec 'echo docs tidied' -p low
$WG status
say "3. What is ready, and why the rest is not"
$WG ready
$WG why-blocked release-v1

say "4. A worker claims ready work (highest priority first), runs it, reports back"
while id=$($WG claim --next --actor demo-worker --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);if(!r.claimed)process.exit(1);console.log(r.claimed)})'); do
  cmd=$($WG show "$id" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).exec??"true"))')
  printf '  ▶ %-20s ' "$id"
  if out=$(bash -c "$cmd" 2>&1); then
    $WG log "$id" "output: $out" >/dev/null
    $WG done "$id" >/dev/null
    echo "done   ($out)"
  else
    $WG fail "$id" --reason "exit $?" >/dev/null
    echo "failed"
  fi
done

say "5. Everything finished"
$WG list
$WG show release-v1
$WG check
say "The graph is plain JSONL, one task per line:"
head -c 400 .wg/graph.jsonl; echo " …"

#!/usr/bin/env bash
# Measures the agent's CPU time and resident memory over a run at the default interval, against a
# local receiver that answers 204. Three ways of running it side by side:
#   npx     node bin/onset.js agent            (TypeScript through tsx, as `npx onset agent`)
#   bundle  node dist/onset-agent.mjs          (scripts/agent-bundle.sh)
#   lite    node --max-semi-space-size=1 --no-opt --no-maglev --no-sparkplug dist/onset-agent.mjs   (what deploy/onset-agent.service runs)
# usage: scripts/agent-footprint.sh [SECONDS=600] [INTERVAL=15s]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
interval=${2:-15s}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

scripts/agent-bundle.sh "$work/onset-agent.mjs" >/dev/null

# The receiver: counts requests, stores nothing.
node -e '
  const http = require("node:http");
  let n = 0;
  const server = http.createServer((req, res) => { req.resume(); req.on("end", () => { n++; res.writeHead(204).end(); }); });
  server.listen(0, "127.0.0.1", () => { require("node:fs").writeFileSync(process.argv[1], String(server.address().port)); });
  process.on("SIGTERM", () => { require("node:fs").writeFileSync(process.argv[1] + ".count", String(n)); process.exit(0); });
' "$work/port" &
receiver=$!
pids+=("$receiver")
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
server="http://127.0.0.1:$(cat "$work/port")"

clk_tck=$(getconf CLK_TCK)
declare -A cmd
cmd[npx]="node bin/onset.js agent"
cmd[bundle]="node $work/onset-agent.mjs"
cmd[lite]="node --max-semi-space-size=1 --no-opt --no-maglev --no-sparkplug $work/onset-agent.mjs"
declare -A pid
for mode in npx bundle lite; do
  # shellcheck disable=SC2086
  ${cmd[$mode]} --server "$server" --token footprint --interval "$interval" --spool-dir "$work/spool-$mode" \
    2>"$work/$mode.log" &
  pid[$mode]=$!
  pids+=("${pid[$mode]}")
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# Start-up (loading, the first snapshot) is not the steady state: measure from 30 s on.
sleep 30
declare -A t0 c0 rss0
for mode in npx bundle lite; do
  t0[$mode]=$(date +%s.%N)
  c0[$mode]=$(cpu_ticks "${pid[$mode]}")
  rss0[$mode]=$(status_kb "${pid[$mode]}" VmRSS)
done
echo "measuring for ${duration}s at --interval $interval ..." >&2
sleep "$duration"

printf '| mode | command | CPU (%% of one core) | RSS start (MiB) | RSS end (MiB) | peak RSS (MiB) | child processes RSS (MiB) |\n'
printf '|---|---|---|---|---|---|---|\n'
for mode in npx bundle lite; do
  p=${pid[$mode]}
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$p")
  rss1=$(status_kb "$p" VmRSS)
  hwm=$(status_kb "$p" VmHWM)
  cpu=$(awk -v c0="${c0[$mode]}" -v c1="$c1" -v t0="${t0[$mode]}" -v t1="$t1" -v hz="$clk_tck" \
    'BEGIN { printf "%.3f", 100 * (c1 - c0) / hz / (t1 - t0) }')
  children=$( (ps -o rss= --ppid "$p" || true) | awk '{ s += $1 } END { print s / 1024 }')
  printf '| %s | `%s` | %s | %.1f | %.1f | %.1f | %.1f |\n' "$mode" "${cmd[$mode]//$work/dist}" "$cpu" \
    "$(awk -v k="${rss0[$mode]}" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss1" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$children"
done
kill "$receiver"; wait "$receiver" 2>/dev/null || true
echo "requests received: $(cat "$work/port.count" 2>/dev/null || echo '?')" >&2
for mode in npx bundle lite; do
  echo "$mode: $(grep -c '"level":[45]0' "$work/$mode.log" || true) warning/error log lines" >&2
done

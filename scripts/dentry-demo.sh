#!/usr/bin/env bash
# End-to-end run on a real host: the story's leak, reproduced and seen through onset.
# Starts a server and an agent, then stat()s millions of paths that do not exist: each lookup leaves a
# negative dentry behind, so the dentry slab cache and SReclaimable grow, as they did site-wide when an
# NSS bug made every HTTPS call probe missing files. Then `echo 2 > /proc/sys/vm/drop_caches` gives
# the memory back. Prints what the server stored at each stage.
# Needs root (/proc/slabinfo and drop_caches).
# usage: sudo scripts/dentry-demo.sh [LOOKUPS=4000000] [INTERVAL=5s]
set -euo pipefail
cd "$(dirname "$0")/.."
lookups=${1:-4000000}
interval=${2:-5s}
interval_s=${interval%s}
[ "$(id -u)" = 0 ] || { echo "dentry-demo: run as root: /proc/slabinfo and drop_caches need it" >&2; exit 1; }

work=$(mktemp -d)
mkdir "$work/lookups"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
server="http://127.0.0.1:$port"
PORT=$port ONSET_DATA_DIR="$work/data" ONSET_INGEST_TOKENS=dentry-demo-ingest-token ONSET_READ_TOKENS=dentry-demo-read-token ONSET_LOG_LEVEL=warn \
  node bin/onset.js serve 2>"$work/server.log" &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 600); do
  curl -sf "$server/healthz" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
curl -sf "$server/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

ONSET_TOKEN=dentry-demo-ingest-token node bin/onset.js agent --server "$server" --host dentry-demo --interval "$interval" \
  --spool-dir "$work/spool" 2>"$work/agent.log" &
pids+=($!)

# The value of one series at the latest sample, as stored by the server.
latest() {
  curl -sfG "$server/api/v1/series" -H 'authorization: Bearer dentry-demo-read-token' \
    --data-urlencode host=dentry-demo --data-urlencode "metric=$1" \
    --data-urlencode "from=$(( ($(date +%s) - 120) * 1000 ))" --data-urlencode "step=${interval_s}s" |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const p = JSON.parse(s).series[0]?.points ?? []; const last = p.at(-1);
      console.log(last ? `${new Date(last[0]).toISOString()} ${last[1]}` : "- -"); })'
}
report() {
  local stage=$1 sr dentry
  sr=$(latest node_memory_SReclaimable_bytes)
  dentry=$(latest 'node_slabinfo_objects{slab="dentry"}')
  printf '| %s | %s | %.1f | %s |\n' "$stage" "${sr%% *}" "$(awk -v b="${sr##* }" 'BEGIN { print b / 1048576 }')" "${dentry##* }"
}
settle() { sleep $(( interval_s * 3 )); }

echo "server $server, agent every $interval; kernel $(uname -r)"
echo
echo '| stage | sample (UTC) | SReclaimable (MiB) | dentry objects |'
echo '|---|---|---|---|'
settle
report "before"
start=$(date +%s)
node -e '
  const { existsSync } = require("node:fs");
  const dir = process.argv[1], n = Number(process.argv[2]);
  for (let i = 0; i < n; i++) existsSync(`${dir}/${i.toString(36)}-${Math.random().toString(36).slice(2)}`);
' "$work/lookups" "$lookups"
took=$(( $(date +%s) - start ))
settle
report "after $lookups lookups of missing paths (${took}s)"
sync
echo 2 > /proc/sys/vm/drop_caches
settle
report "after echo 2 > /proc/sys/vm/drop_caches"
echo
echo "agent warnings/errors: $(grep -c '"level":[56]0' "$work/agent.log" || true)"

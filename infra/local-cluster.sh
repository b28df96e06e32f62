#!/usr/bin/env bash
# A multi-process local cluster: N real comet-silo processes on loopback sharing one SQLite file
# (Orleans membership, grain storage and reminders).
#   infra/local-cluster.sh start [N]     build if needed, start silo-1..silo-N (default 3), each waited for until it serves REST
#   infra/local-cluster.sh stop I        clean shutdown of silo-I (SIGTERM: finishes turns, writes state, leaves the cluster)
#   infra/local-cluster.sh kill I        kill -9 silo-I (a crash: the others declare it Dead within seconds)
#   infra/local-cluster.sh freeze I      SIGSTOP silo-I (a partition stand-in: its sockets stay open, nothing answers)
#   infra/local-cluster.sh thaw I        SIGCONT; a silo frozen past failure detection finds itself Dead and exits: restart it
#   infra/local-cluster.sh restart I     start silo-I again with the same id and ports (stopping it first if it runs)
#   infra/local-cluster.sh status        which silos run, with their ports, and the membership table (with sqlite3)
#   infra/local-cluster.sh down          stop every silo
# Silo I listens on silo port 11110+I, gateway 29999+I, HTTP 8079+I (silo-1: 11111, 30000, 8080).
# Environment: COMET_DATA (default ./data/comet.db), COMET_CLUSTER_DIR (pid and log files, default ./data/cluster),
# COMET_START_TIMEOUT (seconds to wait for a silo to serve, default 90), COMET_SILO_ARGS (more comet-silo flags).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${COMET_DATA:-$root/data/comet.db}"
dir="${COMET_CLUSTER_DIR:-$root/data/cluster}"
timeout="${COMET_START_TIMEOUT:-90}"
dll="$root/silo/bin/Release/net10.0/linux-x64/comet-silo.dll"
mkdir -p "$dir" "$(dirname "$data")"

build() { [ -f "$dll" ] || dotnet build "$root/silo/Comet.Silo.csproj" -c Release -v quiet -nologo >/dev/null; }

pid_of() { if [ -f "$dir/silo-$1.pid" ]; then cat "$dir/silo-$1.pid"; fi; }

running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

http_port() { echo $((8079 + $1)); }

# Serving: the REST gateway answers a read with anything but a 5xx (a 404 for a missing key means the coordinator
# reached its replicas). Without curl, the silo's "ready" log line (a write and a read went through) stands in.
serving() {
  local i=$1 code
  if command -v curl >/dev/null; then
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$(http_port "$i")/v1/default/keys/local-cluster-probe?r=1" || true)
    [ -n "$code" ] && [ "$code" != 000 ] && [ "$code" -lt 500 ]
  else
    grep -qE '^[[:space:]]*(info: Comet\.Silo.*)?ready$' "$dir/silo-$i.log" 2>/dev/null
  fi
}

launch_one() {
  local i=$1
  echo "===== silo-$i start at $(date -u +%H:%M:%S) UTC" >>"$dir/silo-$i.log"
  # shellcheck disable=SC2086 # COMET_SILO_ARGS is a list of flags
  nohup dotnet "$dll" --silo-id "silo-$i" --data "$data" \
    --silo-port $((11110 + i)) --gateway-port $((29999 + i)) --http-port "$(http_port "$i")" ${COMET_SILO_ARGS:-} \
    >>"$dir/silo-$i.log" 2>&1 </dev/null &
  echo $! >"$dir/silo-$i.pid"
}

wait_one() {
  local i=$1 p started=$2
  p=$(pid_of "$i")
  until serving "$i"; do
    kill -0 "$p" 2>/dev/null || { rm -f "$dir/silo-$i.pid"; echo "silo-$i exited while starting; see $dir/silo-$i.log" >&2; return 1; }
    if ((SECONDS - started >= timeout)); then echo "silo-$i did not serve within $timeout s; see $dir/silo-$i.log" >&2; return 1; fi
    sleep 0.2
  done
  echo "silo-$i serving: http://127.0.0.1:$(http_port "$i"), gateway 127.0.0.1:$((29999 + i)) (pid $p, $((SECONDS - started)) s)"
}

# Launches every silo first, then waits for each: they join the cluster together.
start_all() {
  local i started=$SECONDS failed=0
  local -a launched=()
  for i in "$@"; do
    if running "$i"; then echo "silo-$i already runs (pid $(pid_of "$i"))"; else launch_one "$i"; launched+=("$i"); fi
  done
  for i in "${launched[@]}"; do wait_one "$i" "$started" || failed=1; done
  return $failed
}

stop_one() {
  local i=$1 signal=$2 p
  p=$(pid_of "$i")
  if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then rm -f "$dir/silo-$i.pid"; echo "silo-$i is not running"; return; fi
  # A frozen silo cannot act on SIGTERM until it runs again.
  [ "$signal" = TERM ] && kill -CONT "$p" 2>/dev/null || true
  kill "-$signal" "$p"
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$p" 2>/dev/null; then echo "silo-$i (pid $p) still runs 30 s after SIG$signal; kill -9 it with: $0 kill $i" >&2; return 1; fi
  rm -f "$dir/silo-$i.pid"
  echo "silo-$i stopped (SIG$signal)"
}

signal_one() {
  local i=$1 signal=$2 p
  p=$(pid_of "$i")
  if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then echo "silo-$i is not running" >&2; return 1; fi
  kill "-$signal" "$p"
  echo "silo-$i (pid $p): SIG$signal"
}

# Every silo started from this directory (its log stays after it stops).
silo_numbers() { for f in "$dir"/silo-*.log; do [ -e "$f" ] || continue; i=${f##*/silo-}; echo "${i%.log}"; done | sort -n; }

case "${1:-}" in
  start) build; start_all $(seq 1 "${2:-3}") ;;
  stop) stop_one "${2:?silo number}" TERM ;;
  kill) stop_one "${2:?silo number}" KILL ;;
  freeze) signal_one "${2:?silo number}" STOP ;;
  thaw) signal_one "${2:?silo number}" CONT ;;
  restart)
    build
    if running "${2:?silo number}"; then stop_one "$2" TERM; fi
    start_all "$2" ;;
  status)
    for i in $(silo_numbers); do
      if running "$i"; then
        state=$(ps -o stat= -p "$(pid_of "$i")" 2>/dev/null || true)
        [[ "$state" == T* ]] && state=" frozen" || state=""
        echo "silo-$i running$state (pid $(pid_of "$i")): http://127.0.0.1:$(http_port "$i"), gateway $((29999 + i)), silo port $((11110 + i))"
      else
        echo "silo-$i not running (see $dir/silo-$i.log)"
      fi
    done
    if command -v sqlite3 >/dev/null && [ -f "$data" ]; then
      echo "membership ($data):"
      sqlite3 -readonly "$data" "SELECT '  ' || silo_name || '  ' || silo_address || '  ' || CASE status WHEN 1 THEN 'Created' WHEN 2 THEN 'Joining' WHEN 3 THEN 'Active' WHEN 4 THEN 'ShuttingDown' WHEN 5 THEN 'Stopping' WHEN 6 THEN 'Dead' ELSE status END FROM orleans_membership ORDER BY silo_name, start_time;" 2>/dev/null || true
    fi ;;
  down) for i in $(silo_numbers); do running "$i" && stop_one "$i" TERM; done; true ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac

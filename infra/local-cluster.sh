#!/usr/bin/env bash
# A multi-process local cluster: N real silo processes on loopback sharing one SQLite file.
#   infra/local-cluster.sh start [N]     build once, start silo-1..silo-N (default 3)
#   infra/local-cluster.sh stop I        clean shutdown of silo-I (SIGTERM: finishes turns, writes state, leaves)
#   infra/local-cluster.sh kill I        kill -9 silo-I (a crash: its membership row goes stale)
#   infra/local-cluster.sh restart I     start silo-I again (after stop or kill)
#   infra/local-cluster.sh status        which silos run, with their ports
#   infra/local-cluster.sh down          stop every silo
# Silo I listens on silo port 11110+I, gateway 29999+I, HTTP 8079+I (silo-1: 11111, 30000, 8080).
# Environment: COMET_DATA (default ./data/comet.db), COMET_CLUSTER_DIR (default ./data/cluster).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${COMET_DATA:-$root/data/comet.db}"
dir="${COMET_CLUSTER_DIR:-$root/data/cluster}"
dll="$root/silo/bin/Release/net10.0/linux-x64/comet-silo.dll"
mkdir -p "$dir" "$(dirname "$data")"

build() { [ -f "$dll" ] || dotnet build "$root/silo" -c Release -v quiet >/dev/null; }

pid_of() { [ -f "$dir/silo-$1.pid" ] && cat "$dir/silo-$1.pid" || true; }

running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_one() {
  local i=$1
  if running "$i"; then echo "silo-$i already runs (pid $(pid_of "$i"))"; return; fi
  nohup dotnet "$dll" --silo-id "silo-$i" --data "$data" \
    --silo-port $((11110 + i)) --gateway-port $((29999 + i)) --http-port $((8079 + i)) \
    >"$dir/silo-$i.log" 2>&1 &
  echo $! >"$dir/silo-$i.pid"
  for _ in $(seq 1 100); do
    grep -q "up: REST" "$dir/silo-$i.log" 2>/dev/null && { echo "silo-$i up: http://127.0.0.1:$((8079 + i)) (pid $!)"; return; }
    kill -0 "$!" 2>/dev/null || { echo "silo-$i exited; see $dir/silo-$i.log" >&2; return 1; }
    sleep 0.2
  done
  echo "silo-$i did not report up within 20 s; see $dir/silo-$i.log" >&2
  return 1
}

stop_one() {
  local i=$1 signal=$2 p
  p=$(pid_of "$i")
  if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then echo "silo-$i is not running"; return; fi
  kill "-$signal" "$p"
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  rm -f "$dir/silo-$i.pid"
  echo "silo-$i stopped ($signal)"
}

case "${1:-}" in
  start) build; for i in $(seq 1 "${2:-3}"); do start_one "$i"; done ;;
  stop) stop_one "${2:?silo number}" TERM ;;
  kill) stop_one "${2:?silo number}" KILL ;;
  restart) build; start_one "${2:?silo number}" ;;
  status)
    for f in "$dir"/silo-*.pid; do
      [ -e "$f" ] || continue
      i=${f##*/silo-}; i=${i%.pid}
      if running "$i"; then echo "silo-$i running (pid $(pid_of "$i")): http://127.0.0.1:$((8079 + i)), gateway $((29999 + i))"; else echo "silo-$i not running"; fi
    done ;;
  down) for f in "$dir"/silo-*.pid; do [ -e "$f" ] || continue; i=${f##*/silo-}; stop_one "${i%.pid}" TERM; done ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac

#!/usr/bin/env bash
# One benchmark run as in bench/README.md: the README's local cluster (3 silos in one process, SQLite) in the
# background, Redis 7 on loopback, the SDK load generator from another process, and wrk against the REST gateway.
# Every step is bounded; the silo and redis-server started here are stopped at the end (also on error / Ctrl-C).
#
#   bench/run.sh                      # full run (~4 min): DUR=10 s per measurement
#   DUR=5 bench/run.sh                # shorter
#   SKIP_BUILD=1 SILO_BIN=/path/to/comet-silo LOAD_BIN=/path/to/Comet.Load bench/run.sh
#   OUT=/tmp/x bench/run.sh           # where logs and the data file go (default /tmp/comet-bench-<time>)
#   PERF=1 bench/run.sh               # also perf record (cpu-clock, 499 Hz) the silo during GET N=3/R=2, PUT N=3/W=2, ASO GET N=1
#   FLOOR=1 bench/run.sh              # also the bare-Orleans floor (Comet.Load floor-silos / --floor) after the cluster is stopped
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/comet-bench-$(date -u +%H%M%S)}
DUR=${DUR:-10}
KEYS=${KEYS:-1000}
CONC=${CONC:-64}
REDIS_PORT=${REDIS_PORT:-6390}
HTTP=${HTTP:-http://127.0.0.1:8080}
GATEWAYS=${GATEWAYS:-127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002}
SILO_BIN=${SILO_BIN:-$ROOT/silo/bin/Release/net10.0/linux-x64/comet-silo}
LOAD_BIN=${LOAD_BIN:-$ROOT/bench/Comet.Load/bin/Release/net10.0/linux-x64/Comet.Load}
mkdir -p "$OUT/data"
SILO_PID= REDIS_PID= FLOOR_PID=

cleanup() {
  [ -n "$SILO_PID" ] && kill -TERM "$SILO_PID" 2>/dev/null && timeout 30 tail --pid="$SILO_PID" -f /dev/null || true
  [ -n "$SILO_PID" ] && kill -KILL "$SILO_PID" 2>/dev/null || true
  [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null || true
  [ -n "$FLOOR_PID" ] && kill -TERM "$FLOOR_PID" 2>/dev/null || true
}
trap cleanup EXIT

say() { echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg): $*" | tee -a "$OUT/summary.txt"; }

if [ -z "${SKIP_BUILD:-}" ]; then
  say "build (bench/Comet.Load builds the silo it references)"
  timeout 600 dotnet build "$ROOT/bench/Comet.Load" -c Release -nologo -v q > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
fi

say "start the README's cluster: $SILO_BIN --data $OUT/data/comet.db"
( cd "$OUT"; [ -n "${PERF:-}" ] && export DOTNET_PerfMapEnabled=1; exec "$SILO_BIN" --data "$OUT/data/comet.db" ) > "$OUT/silo.log" 2>&1 &
SILO_PID=$!
timeout 120 bash -c "until grep -q 'ready' '$OUT/silo.log'; do kill -0 $SILO_PID || exit 1; sleep 0.5; done" || { cat "$OUT/silo.log"; exit 1; }
say "cluster up (pid $SILO_PID); warm-up pass (JIT tiering of a fresh silo takes ~30 s of load)"
timeout 300 "$LOAD_BIN" --gateway "$GATEWAYS" --quick --keys 200 --rate none --no-redis > "$OUT/warmup.log" 2>&1 || true

say "redis-server --port $REDIS_PORT --save '' --appendonly no (loopback)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!
timeout 10 bash -c "until redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; do sleep 0.1; done"
for P in 1 16; do
  say "redis-benchmark -p $REDIS_PORT -t get,set -c 50 -n 200000 -q -P $P"
  timeout 120 redis-benchmark -p "$REDIS_PORT" -t get,set -c 50 -n 200000 -q -P "$P" 2>&1 | tr '\r' '\n' | grep 'requests per second' | tee -a "$OUT/summary.txt"
done

say "SDK load generator, $CONC in flight, $DUR s per scenario, p99 at half of peak"
timeout 900 "$LOAD_BIN" --gateway "$GATEWAYS" --watch-pid "$SILO_PID" --duration "$DUR" --concurrency "$CONC" --keys "$KEYS" \
  --redis-port "$REDIS_PORT" ${LOAD_ARGS:-} 2>&1 | tee "$OUT/sdk.log" | tee -a "$OUT/summary.txt"

if [ -n "${PERF:-}" ]; then
  for S in "GET N=3/R=2" "PUT N=3/W=2" "ASO GET N=1"; do
    F="$OUT/perf-$(echo "$S" | tr -c 'A-Za-z0-9' '_').data"
    say "perf record of the silo during '$S' -> $F"
    perf record -e cpu-clock -F 499 -g -p "$SILO_PID" -o "$F" -- sleep "$DUR" > /dev/null 2>&1 &
    PERF_PID=$!
    timeout 300 "$LOAD_BIN" --gateway "$GATEWAYS" --watch-pid "$SILO_PID" --duration "$DUR" --warmup 0 --concurrency "$CONC" --keys "$KEYS" \
      --only "$S" --rate none --no-redis 2>&1 | grep -E "^(scenario|$S)" | tee -a "$OUT/summary.txt"
    wait "$PERF_PID" || true
  done
fi

say "preload REST keys"
timeout 300 "$LOAD_BIN" --gateway "$GATEWAYS" --keys "$KEYS" --preload-rest rest --no-redis | tee -a "$OUT/summary.txt"
wrk_run() { # name kind read% query
  say "wrk -t2 -c64 -d${DUR}s $1 (keys rest-$2-*, $3% reads, query '$4')"
  timeout $((DUR + 30)) wrk -t2 -c64 -d"${DUR}s" --latency -s "$ROOT/bench/rest/keys.lua" "$HTTP" -- rest "$2" "$KEYS" "$3" "$4" 100 > "$OUT/wrk-$1.log" 2>&1 || true
  grep -E 'RESULT|Non-2xx|Socket errors' "$OUT/wrk-$1.log" | sed "s/^/$1 /" | tee -a "$OUT/summary.txt"
}
wrk_run get-n1 v1 100 '?n=1&r=1'
wrk_run get-n3r2 v3 100 ''
wrk_run aso-get-n1 a1 100 '?n=1&r=1'
wrk_run aso-get-n3r2 a3 100 ''
wrk_run mix95-n3 v3 95 ''
wrk_run mix50-n3 v3 50 ''

say "redis-benchmark again (end of run)"
timeout 120 redis-benchmark -p "$REDIS_PORT" -t get,set -c 50 -n 200000 -q 2>&1 | tr '\r' '\n' | grep 'requests per second' | tee -a "$OUT/summary.txt"
if [ -n "${FLOOR:-}" ]; then
  cleanup; SILO_PID= REDIS_PID=
  say "bare-Orleans floor: 3 silos with trivial grains in one process, load from this one"
  "$LOAD_BIN" floor-silos > "$OUT/floor-silos.log" 2>&1 &
  FLOOR_PID=$!
  timeout 60 bash -c "until grep -q ready '$OUT/floor-silos.log'; do sleep 0.3; done"
  timeout 600 "$LOAD_BIN" --floor 127.0.0.1:30100,127.0.0.1:30101,127.0.0.1:30102 --watch-pid "$FLOOR_PID" --duration "$DUR" --keys "$KEYS" 2>&1 | tee -a "$OUT/summary.txt"
  kill -TERM "$FLOOR_PID"; timeout 20 tail --pid="$FLOOR_PID" -f /dev/null || kill -KILL "$FLOOR_PID"
  FLOOR_PID=
fi
say "done; logs in $OUT"

#!/usr/bin/env bash
# Runs docs/quickstart.md against a real store and checks every answer, so the page cannot drift from the code.
#
# It starts the store the way the page says (dotnet run --project silo -c Release, in the background, on a fresh
# SQLite file in a temporary directory), waits until the three REST gateways answer, then runs, in page order, every
# `curl`, `comet` and `sleep` line of the page's ```bash blocks (backslash continuations joined). Each curl and comet
# line must end with its expected answer, which this script checks:
#   curl ...   # → <HTTP status> [text the body contains]
#   comet ...  # → exit <code> [text stdout or stderr contains]
# `comet` is the CLI built in this repository (client/Comet.Cli, Release), not an installed copy. Then it stops the
# store (SIGTERM to its process group) and exits non-zero if any answer differed (or the store did not start).
#
#   docs/tests/run-quickstart.sh [--no-build]    --no-build: the solution is already built in Release (./test.sh)
# Needs the ports of the page free: 8080-8082, 11111-11113, 30000-30002. QUICKSTART_SKIP_CLI=1 leaves out the comet
# lines (to check the REST half alone); ./test.sh never sets it.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
page="$root/docs/quickstart.md"
cd "$root"
build=()
[ "${1:-}" = "--no-build" ] && build=(--no-build)

work=$(mktemp -d /tmp/comet-quickstart.XXXXXX)
store_pid=""
stop_store() {
  [ -n "$store_pid" ] || return 0
  if kill -0 "$store_pid" 2>/dev/null; then
    kill -TERM -- "-$store_pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$store_pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$store_pid" 2>/dev/null && { echo "the store did not stop within 30 s of SIGTERM; killing it"; kill -KILL -- "-$store_pid" 2>/dev/null; }
  fi
  store_pid=""
}
trap 'stop_store; rm -rf "$work"' EXIT

# The commands of the page, one per line (continuations joined), in order.
commands() {
  awk '
    /^```bash[[:space:]]*$/ { inside = 1; next }
    /^```/ { inside = 0; next }
    !inside { next }
    {
      line = $0
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); pending = pending line; next }
      line = pending line; pending = ""
      sub(/^[[:space:]]+/, "", line)
      if (line ~ /^(curl|comet|sleep)[[:space:]]/) print line
    }' "$page"
}

for port in 8080 8081 8082 11111 11112 11113 30000 30001 30002; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: stop the store (or whatever listens there) before running the quickstart check"
    exit 1
  fi
done

cli="$root/client/Comet.Cli/bin/Release/net10.0/linux-x64/comet.dll"
skip_cli=${QUICKSTART_SKIP_CLI:-}
page_commands=$(commands)
if [ -z "$skip_cli" ] && grep -q '^comet ' <<<"$page_commands"; then
  if [ ${#build[@]} -eq 0 ]; then
    dotnet build client/Comet.Cli -c Release -v quiet >"$work/cli-build.log" 2>&1 || { tail -20 "$work/cli-build.log"; echo "the CLI did not build"; exit 1; }
  fi
  [ -f "$cli" ] || { echo "the CLI is not built at $cli (dotnet build client/Comet.Cli -c Release)"; exit 1; }
fi
comet() { dotnet "$cli" "$@"; }

echo "starting the store: dotnet run --project silo -c Release ${build[*]} -- --data $work/data/comet.db"
setsid dotnet run --project silo -c Release "${build[@]}" -- --data "$work/data/comet.db" >"$work/store.log" 2>&1 </dev/null &
store_pid=$!
started=$(date +%s)
for port in 8080 8081 8082; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/default/keys/quickstart-probe")" = 404 ]; do
    if ! kill -0 "$store_pid" 2>/dev/null; then tail -30 "$work/store.log"; echo "the store exited before it answered"; exit 1; fi
    if [ $(($(date +%s) - started)) -gt 300 ]; then tail -30 "$work/store.log"; echo "the store did not answer on $port within 300 s"; exit 1; fi
    sleep 0.5
  done
done
echo "the store answers on 8080-8082 after $(($(date +%s) - started)) s"

ran=0 failed=0
while IFS= read -r line; do
  if [[ $line == sleep* ]]; then
    eval "$line"
    continue
  fi
  if [[ $line == comet* && -n $skip_cli ]]; then
    echo "skip  ${line%%# → *}"
    continue
  fi
  if [[ $line != *"# → "* ]]; then
    echo "FAIL  $line"
    echo "      has no expected answer: end the line with '# → <status> [text]' (curl) or '# → exit <code> [text]' (comet)"
    failed=$((failed + 1)); continue
  fi
  command=${line%%# → *}
  command=${command%"${command##*[![:space:]]}"}
  expected=${line##*# → }
  ran=$((ran + 1))
  if [[ $command == curl* ]]; then
    want_status=${expected%% *}
    want_text=""; [[ $expected == *" "* ]] && want_text=${expected#* }
    rm -f "$work/body"
    got_status=$(eval "$command -s -o '$work/body' -w '%{http_code}'" </dev/null)
    got=$(cat "$work/body" 2>/dev/null)
  else
    rest=${expected#exit }
    want_status=${rest%% *}
    want_text=""; [[ $rest == *" "* ]] && want_text=${rest#* }
    got=$(eval "$command" 2>&1 </dev/null)
    got_status=$?
  fi
  if [ "$got_status" = "$want_status" ] && { [ -z "$want_text" ] || [[ $got == *"$want_text"* ]]; }; then
    echo "ok    $command  → $expected"
  else
    failed=$((failed + 1))
    echo "FAIL  $command"
    echo "      expected $expected"
    echo "      got      $got_status $(head -c 400 <<<"$got")"
  fi
done <<<"$page_commands"

if [ "$failed" -gt 0 ]; then
  echo "--- the store's log, last 40 lines"
  tail -40 "$work/store.log"
  echo "---"
fi
stop_store
if [ "$ran" -eq 0 ]; then echo "no command found in $page"; exit 1; fi
if [ "$failed" -gt 0 ]; then
  echo "quickstart: $failed of $ran commands did not answer as docs/quickstart.md says"
  exit 1
fi
echo "quickstart: all $ran commands answered as docs/quickstart.md says"

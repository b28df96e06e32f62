#!/usr/bin/env bash
# ./test.sh: the one command that runs every test of CometGrains, on a fresh machine too. It
#   1. installs what the tests need beyond the .NET SDK when it is missing: Debian's chromium (the dashboard's
#      browser test, .ci/chromium.sh) and Azurite from npm (the Azure Table tests, .ci/azurite.sh);
#   2. builds CometGrains.sln in Release;
#   3. runs every test assembly: dotnet test CometGrains.sln -c Release;
#   4. runs the quickstart's commands against a real store (docs/tests/run-quickstart.sh), counted as one test;
# and ends with one line, alone: "N passed, N failed" (", N skipped" when some were). The exit code is 0 only when
# nothing failed. A test host that crashes fails its assembly, which the output names. Logs: .ci/artifacts/.
#
#   ./test.sh --summarize LOG [ASSEMBLY...]   only print the summary of a saved `dotnet test` log; the assemblies
#                                             named must have reported (.ci/test-summary.sh tests the counting)
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
log_dir="$root/.ci/artifacts"

# Sums the per-assembly result lines of `dotnet test` (minimal verbosity), e.g.
#   Failed!  - Failed:     1, Passed:    41, Skipped:     0, Total:    42, Duration: 3 s - Comet.Grid.Tests.dll (net10.0)
# and finds the assemblies that did not report: a crashed test host ("Test host process crashed"), or an assembly
# that started and never finished. Each such assembly counts as one failure, named on stdout. An assembly without
# tests ("No test is available in ...") counts nothing. $2 (optional): the assemblies expected to report.
# Prints notes, then a last line "COUNTS passed failed skipped".
summarize() {
  awk -v expected="${2:-}" '
    function assembly(path,   parts, n, name) {
      n = split(path, parts, "/"); name = parts[n]; sub(/\.$/, "", name); sub(/\.dll$/, "", name); return name
    }
    BEGIN { n = split(expected, list, " "); for (i = 1; i <= n; i++) if (list[i] != "") seen[list[i]] = 1 }
    /^Test run for / { seen[assembly($4)] = 1 }
    /^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+, Total: +[0-9]+/ {
      line = $0
      gsub(/[^0-9]+/, " ", line); split(line, c, " ")   # c[1] failed, c[2] passed, c[3] skipped, c[4] total
      f += c[1]; p += c[2]; s += c[3]
      name = $NF ~ /^\(/ ? $(NF - 1) : $NF; sub(/\.dll$/, "", name); reported[name] = 1
      next
    }
    /^No test is available in / { reported[assembly($6)] = 1; next }
    /Test host process crashed/ {
      crashes += 1; reason[crashes] = $0; sub(/^.*Test host process crashed *:? */, "", reason[crashes]); frames = 300
      detail = 1; next
    }
    # The line after "Process terminated." says why ("Fatal error. ...", the FailFast message).
    detail { detail = 0; if ($0 !~ /^[[:space:]]/ && $0 != "") reason[crashes] = reason[crashes] " " $0 }
    # The crashed assembly: the first stack frame of the crash that lies in a test assembly (namespace = assembly).
    frames > 0 {
      frames -= 1
      if (!(crashes in crashed) && match($0, /^[[:space:]]+at [A-Za-z0-9_.]+/)) {
        symbol = substr($0, RSTART, RLENGTH); sub(/^[[:space:]]+at /, "", symbol)
        for (name in seen) if (index(symbol, name ".") == 1) { crashed[crashes] = name; frames = 0; break }
      }
    }
    END {
      for (name in seen) if (!(name in reported)) { missing[name] = 1; silent += 1 }
      for (i = 1; i <= crashes; i++) {
        name = (i in crashed) ? crashed[i] : ""
        if (name == "") for (m in missing) if (!(m in blamed)) { name = m; break }
        if (name == "") {
          printf "a test host crashed (%s) and its assembly is not known; see the log\n", reason[i]; f += 1; continue
        }
        blamed[name] = 1
        printf "%s: the test host crashed (%s); the assembly counts as failed\n", name, reason[i]
        if (!(name in missing)) f += 1
      }
      for (name in missing) {
        if (!(name in blamed)) printf "%s: reported no results (its test host died, or it did not run); the assembly counts as failed\n", name
        f += 1
      }
      printf "COUNTS %d %d %d\n", p, f, s
    }' "$1"
}

summary_line() {
  local line="$1 passed, $2 failed"
  [ "$3" -gt 0 ] && line="$line, $3 skipped"
  echo "$line"
}

# Ends the run with the summary line; the exit code says whether anything failed.
finish() {
  echo
  summary_line "$1" "$2" "$3"
  [ "$2" -eq 0 ]
  exit
}

if [ "${1:-}" = "--summarize" ]; then
  [ -f "${2:-}" ] || { echo "usage: ./test.sh --summarize <dotnet test log> [assembly...]" >&2; exit 2; }
  log=$2; shift 2
  summary=$(summarize "$log" "$*")
  sed '$d' <<<"$summary"
  read -r _ passed failed skipped <<<"$(tail -1 <<<"$summary")"
  finish "$passed" "$failed" "$skipped"
fi

step() { printf '\n== %s\n' "$*"; }
mkdir -p "$log_dir"

# What the tests need beyond the SDK. Each script does nothing when it is already there.
step "chromium (apt) for the dashboard's browser test"
.ci/chromium.sh || { echo "could not install chromium (apt-get install chromium needs root)"; finish 0 1 0; }
step "azurite (npm) for the Azure Table tests"
.ci/azurite.sh || { echo "could not install azurite"; finish 0 1 0; }

step "build (dotnet build CometGrains.sln -c Release)"
if ! dotnet build CometGrains.sln -c Release >"$log_dir/build.log" 2>&1; then
  grep -E "error [A-Z]+[0-9]+" "$log_dir/build.log" | sort -u | head -30
  echo "the build failed (.ci/artifacts/build.log)"
  finish 0 1 0
fi
tail -3 "$log_dir/build.log"

step "tests (dotnet test CometGrains.sln -c Release)"
dotnet test CometGrains.sln -c Release --no-build 2>&1 | tee "$log_dir/test.log" \
  | grep --line-buffered -E "^\s+Failed |^(Passed|Failed)! |Test host process crashed|Test Run Aborted|No test is available|error (CS|MSB|NU)[0-9]"
test_rc=${PIPESTATUS[0]}
expected=$(dotnet sln CometGrains.sln list 2>/dev/null | grep -E '^tests/.*\.Tests\.csproj$' | sed -E 's|.*/||; s|\.csproj$||' | tr '\n' ' ')
summarize "$log_dir/test.log" "$expected" >"$log_dir/summary.txt"
sed '$d' "$log_dir/summary.txt"
read -r _ passed failed skipped < <(tail -1 "$log_dir/summary.txt")
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited $test_rc without a failed test (.ci/artifacts/test.log); counted as a failure"
  failed=1
fi

step "docs: the quickstart's commands against a real store (docs/tests/run-quickstart.sh)"
if docs/tests/run-quickstart.sh --no-build >"$log_dir/quickstart.log" 2>&1; then
  tail -1 "$log_dir/quickstart.log"
  passed=$((passed + 1))
else
  tail -20 "$log_dir/quickstart.log"
  echo "the quickstart failed (.ci/artifacts/quickstart.log)"
  failed=$((failed + 1))
fi

finish "$passed" "$failed" "$skipped"

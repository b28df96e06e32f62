#!/usr/bin/env bash
# Tests how ./test.sh counts: its summary of saved `dotnet test` logs (cut from real runs of small test projects: one
# passing with a skipped test, one with a failed test, one whose test host dies in Environment.FailFast, one without
# tests). Runs in a second; prints "N passed, N failed" over its own cases.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

good='Test run for /w/Good.Tests/bin/Release/net10.0/Good.Tests.dll (.NETCoreApp,Version=v10.0)
A total of 1 test files matched the specified pattern.
[xUnit.net 00:00:00.81]     Good.Tests.T.S [SKIP]
  Skipped Good.Tests.T.S [1 ms]

Passed!  - Failed:     0, Passed:     2, Skipped:     1, Total:     3, Duration: 81 ms - Good.Tests.dll (net10.0)'
bad='Test run for /w/Bad.Tests/bin/Release/net10.0/Bad.Tests.dll (.NETCoreApp,Version=v10.0)
A total of 1 test files matched the specified pattern.
[xUnit.net 00:00:01.04]     Bad.Tests.T.Fails [FAIL]
  Failed Bad.Tests.T.Fails [55 ms]
  Error Message:
   Assert.Equal() Failure: Values differ
  Stack Trace:
     at Bad.Tests.T.Fails() in /w/Bad.Tests/T.cs:line 1

Failed!  - Failed:     1, Passed:     1, Skipped:     0, Total:     2, Duration: 181 ms - Bad.Tests.dll (net10.0)'
empty='Test run for /w/Empty.Tests/bin/Release/net10.0/Empty.Tests.dll (.NETCoreApp,Version=v10.0)
A total of 1 test files matched the specified pattern.
No test is available in /w/Empty.Tests/bin/Release/net10.0/Empty.Tests.dll. Make sure that test discoverer & executors are registered and platform & framework version settings are appropriate and try again.

Additionally, path to test adapters can be specified using /TestAdapterPath command. Example  /TestAdapterPath:<pathToCustomAdapters>.'
crash_start='Test run for /w/Crash.Tests/bin/Release/net10.0/Crash.Tests.dll (.NETCoreApp,Version=v10.0)
A total of 1 test files matched the specified pattern.'
crash_trace='The active test run was aborted. Reason: Test host process crashed : Process terminated.
simulated native crash
   at System.Environment.FailFast(System.String)
   at Crash.Tests.T+<Dies>d__1.MoveNext()
   at System.Threading.Thread.StartCallback()
'
crash_trace_anonymous=${crash_trace//Crash.Tests.T+/Crash.T+}
crash_summary='Passed!  - Failed:     0, Passed:     1, Skipped:     0, Total:     1, Duration: 326 ms - Crash.Tests.dll (net10.0)'

passed=0 failed=0
# case_ NAME EXPECTED-LAST-LINE EXPECTED-EXIT [MUST-MENTION], the log on stdin (not a pipe: the counts live in this shell);
# assemblies that must report in $ASSEMBLIES
case_() {
  local name=$1 want=$2 want_rc=$3 mention=${4:-} out rc
  cat >"$dir/$name.log"
  # shellcheck disable=SC2086
  out=$(./test.sh --summarize "$dir/$name.log" ${ASSEMBLIES:-}); rc=$?
  if [ "$(tail -1 <<<"$out")" = "$want" ] && [ "$rc" = "$want_rc" ] && { [ -z "$mention" ] || grep -qF -- "$mention" <<<"$out"; }; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name: wanted '$want' (exit $want_rc${mention:+, mentioning '$mention'}), got exit $rc:"; sed 's/^/     /' <<<"$out"
  fi
}

case_ all-pass-and-no-tests "2 passed, 0 failed, 1 skipped" 0 <<<"$(printf '%s\n%s\n' "$good" "$empty")"
case_ one-failed "3 passed, 1 failed, 1 skipped" 1 <<<"$(printf '%s\n%s\n' "$good" "$bad")"
# Interleaved like a parallel run: the crashed assembly never prints its result line.
case_ crash-without-result "3 passed, 2 failed, 1 skipped" 1 "Crash.Tests: the test host crashed (Process terminated. simulated native crash)" <<<"$(printf '%s\n%s\n%s\n%s\n%s\n' "$crash_start" "$good" "$crash_trace" "$bad" "Test Run Aborted.")"
# The crashed assembly's result line still says "Passed!": the crash fails it all the same, once.
case_ crash-with-passing-result "1 passed, 1 failed" 1 "Crash.Tests: the test host crashed" <<<"$(printf '%s\n%s\n%s\n%s\n' "$crash_start" "$crash_trace" "$crash_summary" "Test Run Aborted.")"
# No frame names the assembly: the one that never reported is blamed.
case_ crash-named-by-silence "2 passed, 1 failed, 1 skipped" 1 "Crash.Tests: the test host crashed" <<<"$(printf '%s\n%s\n%s\n' "$good" "$crash_start" "$crash_trace_anonymous")"
case_ crash-of-unknown-assembly "1 passed, 1 failed" 1 "its assembly is not known" <<<"$(printf '%s\n%s\n' "$crash_trace_anonymous" "$crash_summary")"
ASSEMBLIES="Good.Tests Never.Tests" case_ expected-assembly-never-ran "2 passed, 1 failed, 1 skipped" 1 "Never.Tests: reported no results" <<<"$good"
case_ nothing-ran "0 passed, 0 failed" 0 </dev/null

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

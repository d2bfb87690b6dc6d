#!/usr/bin/env bash
# Runs every test suite (Python unittest for the weight converter, then the .NET solution) and ends with one
# closing line, "N passed, N failed, N skipped", summed over both.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

/usr/bin/python3 -m unittest discover -s weights -p 'test_*.py' 2>&1 | tee -a "$log" || status=1
dotnet test Api.sln -c Release --no-build -nologo -v q --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1

# unittest: "Ran N tests" plus "FAILED (failures=F, errors=E, skipped=S)" or "OK (skipped=S)"
py_total=$(grep -oP '^Ran \K[0-9]+' "$log" | awk '{s+=$1} END {print s+0}')
py_failed=$(grep -oP '^FAILED \(.*\)' "$log" | grep -oP '(failures|errors)=\K[0-9]+' | awk '{s+=$1} END {print s+0}')
py_skipped=$(grep -oP '^(OK|FAILED) \(.*\)' "$log" | grep -oP 'skipped=\K[0-9]+' | awk '{s+=$1} END {print s+0}')
# dotnet: "Passed!  - Failed:     0, Passed:    25, Skipped:     0, Total: ..."
dn_failed=$(grep -oP 'Failed:\s+\K[0-9]+(?=, Passed:)' "$log" | awk '{s+=$1} END {print s+0}')
dn_passed=$(grep -oP 'Passed:\s+\K[0-9]+(?=, Skipped:)' "$log" | awk '{s+=$1} END {print s+0}')
dn_skipped=$(grep -oP 'Skipped:\s+\K[0-9]+(?=, Total:)' "$log" | awk '{s+=$1} END {print s+0}')

passed=$((py_total - py_failed - py_skipped + dn_passed))
failed=$((py_failed + dn_failed))
skipped=$((py_skipped + dn_skipped))
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] || status=1
exit $status

#!/usr/bin/env bash
# What a start of `muster run` costs: the package's launcher (agent/src/deb/bin/muster) with the
# class cache made by CACHE_BY (train, as the install script does, or check), polling the test
# kit's EC2 (StandInEc2, 127.0.0.1) with INSTANCES instances every 5 s. Prints the CPU time
# (user+sys) at the first apply and SECONDS later, and the RSS then. MUSTER_JAVA_OPTS replaces
# the launcher's settings, as on a host (then the cache is only used if the options name it).
# Usage: [CACHE_BY=train|check] benchmarks/start-cpu.sh [INSTANCES] [SECONDS]
#   (after mvn -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-200}
seconds=${2:-60}
interval=5s
. benchmarks/standin-agent.sh
launcher_cache "${CACHE_BY:-train}"
hz=$(getconf CLK_TCK)
started=$(date +%s.%N)
sh agent/src/deb/bin/muster run --config "$work/muster.yaml" > "$work/muster.log" 2>&1 &
pid=$!
for _ in $(seq 3000); do
  grep -q " applied " "$work/muster.log" && break
  kill -0 "$pid" 2>/dev/null || { echo "muster ended early:" >&2; tail -20 "$work/muster.log" >&2; exit 1; }
  sleep 0.02
done
first=$(awk '{print $14 + $15}' "/proc/$pid/stat")
wall=$(echo "$(date +%s.%N) - $started" | bc)
sleep "$seconds"
later=$(awk '{print $14 + $15}' "/proc/$pid/stat")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
awk -v f="$first" -v l="$later" -v hz="$hz" -v w="$wall" -v s="$seconds" -v r="$rss" \
    -v by="${CACHE_BY:-train}" -v o="${MUSTER_JAVA_OPTS:-as shipped}" 'BEGIN {
  printf "| %s | %s | %.2f s (at %.1f s) | %.2f s | %.0f MiB |\n", by, o, f / hz, w, l / hz, r / 1024 }'

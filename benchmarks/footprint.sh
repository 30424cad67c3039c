#!/usr/bin/env bash
# The agent's footprint as a user sees it in `top`: `muster run` started by the package's own
# launcher (agent/src/deb/bin/muster, with the class cache its install script makes), polling
# the test kit's EC2 (StandInEc2, 127.0.0.1) with INSTANCES instances every INTERVAL, for MINUTES
# minutes. Or, with WHO=prometheus, Prometheus' EC2 discovery refreshing at the same interval
# against the same stand-in, every discovered target dropped by relabelling so that nothing is
# ever scraped. Samples /proc every 2 s and prints one table row:
#   CPU per poll in the first minute (start included: what a restart costs), CPU per poll in the
#   last minute, RSS at the end and its maximum, threads at the end.
# WHO=sdk runs the floor under the agent instead: the AWS SDK's own EC2 client polling the same
# stand-in with the same JVM settings and keeping nothing (BareSdkPoller; INTERVAL in seconds).
# Usage: [WHO=muster|prometheus|sdk] benchmarks/footprint.sh [INSTANCES] [INTERVAL] [MINUTES]
#   (after mvn -DskipTests package). MUSTER_JAVA_OPTS replaces the launcher's settings, as on a host.
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-200}
interval=${2:-5s}
minutes=${3:-10}
who=${WHO:-muster}
. benchmarks/standin-agent.sh
if [ "$who" = prometheus ]; then
  . benchmarks/prometheus-sd.sh
elif [ "$who" = sdk ]; then
  . benchmarks/sdk-poller.sh
else
  # The package's launcher and class cache: its install script runs `muster train` once to make
  # the cache (postinst); then the agent runs as systemd starts it.
  launcher_cache
  sh agent/src/deb/bin/muster run --config "$work/muster.yaml" > "$work/muster.log" 2>&1 &
  pid=$!
  fetches() {
    curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | awk '/^muster_fetches_total/ {print int($2)}'
  }
fi
hz=$(getconf CLK_TCK)
started=$(date +%s.%N)
sample() { # seconds-since-start cpu-ticks fetches rss-kb threads
  local f; f=$(fetches 2>/dev/null || true)
  echo "$(echo "$(date +%s.%N) - $started" | bc) $(awk '{print $14 + $15}' "/proc/$pid/stat") ${f:-0} \
$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status") $(awk '/^Threads/ {print $2}' "/proc/$pid/status")" >> "$work/samples"
}
end=${DURATION:-$((minutes * 60))}
while :; do
  kill -0 "$pid" 2>/dev/null || { echo "$who ended early:" >&2; tail -n 20 "$work"/*.log >&2; exit 1; }
  sample
  [ "$(awk 'END {print int($1)}' "$work/samples")" -ge "$end" ] && break
  sleep 2
done
awk -v who="$who" -v n="$instances" -v i="$interval" -v hz="$hz" -v m="$minutes" '
  { t[NR] = $1; c[NR] = $2; f[NR] = $3; r[NR] = $4; th[NR] = $5; if ($4 > max) max = $4 }
  END {
    # The first minute: from the start to the last sample at or before 60 s.
    for (k = 1; k <= NR && t[k] <= 60; k++) a = k
    # The last minute: from the last sample at or before the end minus 60 s to the end.
    for (k = 1; k <= NR && t[k] <= t[NR] - 60; k++) b = k
    first = (f[a] > 0) ? c[a] / hz / f[a] : -1
    last = (f[NR] > f[b]) ? (c[NR] - c[b]) / hz / (f[NR] - f[b]) : -1
    printf "| %s | %d | %s | %.3f s (%d polls) | %.3f s (minute %d) | %.0f MiB (max %.0f) | %d |\n",
      who, n, i, first, f[a], last, m, r[NR] / 1024, max / 1024, th[NR]
  }' "$work/samples"

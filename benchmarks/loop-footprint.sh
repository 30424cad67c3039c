#!/usr/bin/env bash
# The agent's poll loop at scale, as a whole process: `muster run` with the package launcher's
# settings for `run`, against the test kit's EC2 (StandInEc2) with INSTANCES instances, polling
# every INTERVAL. After WARM polls it measures CPU per poll (utime+stime from /proc over the next
# POLLS polls, counted by muster_fetches_total) and the RSS (VmRSS, its maximum over the window).
# With WHO=prometheus, the same for Prometheus' EC2 discovery (Debian's prometheus), refreshing at
# the same interval against the same stand-in, counted by its refresh metric.
# Usage: [WHO=muster|prometheus] benchmarks/loop-footprint.sh [INSTANCES] [INTERVAL] [WARM] [POLLS]
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-10000}
interval=${2:-5s}
warm=${3:-3}
polls=${4:-10}
. benchmarks/standin-agent.sh
if [ "${WHO:-muster}" = prometheus ]; then
  . benchmarks/prometheus-sd.sh
else
  # The package launcher's settings for `run` (agent/src/deb/bin/muster).
  AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret \
      java -XX:+UseSerialGC -Xms16m -Xmx512m -Xss512k -Xshare:auto ${EXTRA_JAVA_OPTS:-} \
      -cp "agent/target/muster-agent.jar${AGENT_CP:+:$AGENT_CP}" dev.muster.agent.Main run --config "$work/muster.yaml" > "$work/muster.log" 2>&1 &
  pid=$!
  fetches() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^muster_fetches_total/ {print int($2)}'; }
fi
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
until [ "$(fetches 2>/dev/null || echo 0)" -ge "$warm" ] 2>/dev/null; do sleep 0.5; done
f0=$(fetches); c0=$(cpu); max=0
while [ "$(fetches)" -lt $((f0 + polls)) ]; do
  r=$(rss); [ "$r" -gt "$max" ] && max=$r
  sleep 0.5
done
f1=$(fetches); c1=$(cpu); r1=$(rss)
# With EXTRA_JAVA_OPTS="-XX:StartFlightRecording" and JFR_DUMP=FILE, keep the recording.
if [ -n "${JFR_DUMP:-}" ]; then jcmd "$pid" JFR.dump filename="$JFR_DUMP" > /dev/null; fi
hz=$(getconf CLK_TCK)
awk -v w="${WHO:-muster}" -v c=$((c1 - c0)) -v f=$((f1 - f0)) -v hz="$hz" -v r="$r1" -v m="$max" -v n="$instances" -v i="$interval" 'BEGIN {
  printf "| %s | %d instances, every %s | CPU per poll %.3f s | RSS %.0f MiB (max %.0f MiB) over %d polls |\n", w, n, i, c / hz / f, r / 1024, m / 1024, f }'

#!/usr/bin/env bash
# Cron-style runs side by side: the seed's aws-cli script vs `muster once`, whole processes,
# against the test kit's EC2 (benchmarks' StandInEc2) on 127.0.0.1. Alternating runs, medians.
# Rows: seed (the article's script), default (java -jar, no settings), launcher (the package's
# launcher with the class cache its install script makes: `muster train`), trained (the launcher
# with a cache made by a `once` run of this very configuration).
# Usage: benchmarks/cron-once.sh [INSTANCES] [PAGE] [RUNS]   (after mvn -DskipTests package)
# Needs: java, haproxy, GNU time, and the AWS CLI (`apt-get install awscli`; not installed by CI).
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-100}
page=${2:-1000}
runs=${3:-5}
work=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$work"' EXIT
command -v aws >/dev/null || { echo "needs the AWS CLI: apt-get install awscli" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

# The stand-in serves until its stdin (fd 3 here) closes.
mkfifo "$work/in"
java -cp benchmarks/target/benchmarks.jar dev.muster.benchmarks.StandInEc2 "$instances" "$page" \
    < "$work/in" > "$work/endpoint" 2> "$work/standin.log" &
exec 3> "$work/in"
for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
endpoint=$(head -1 "$work/endpoint")
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1

printf 'global\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:18999\n    default_backend web\n' > "$work/header.cfg"
cat > "$work/muster.yaml" <<YAML
aws: {region: us-east-1, endpoint: $endpoint}
discovery: {state_dir: $work/state}
backends:
  web: {tag_keys: [role], port: 80}
outputs:
  edge:
    type: haproxy
    header: header.cfg
    file: haproxy.cfg
    backends: [web]
    reload: {command: ["true"]}
YAML
mkdir -p "$work/state"
# The seed article's script, with the endpoint of the stand-in and private addresses.
cat > "$work/seed.sh" <<'SH'
#!/bin/bash
cat "$W/header.cfg" > "$W/seed.cfg.NEW"
for i in `aws ec2 describe-instances --endpoint-url "$EP" --filter "Name=tag-key, Values=role" --query "Reservations[*].Instances[*].PrivateIpAddress" --output=text|sort`; do
  echo "    server server-$i $i:80 weight 1 check inter 5s fall 3" >> "$W/seed.cfg.NEW"
done
if ! diff -q "$W/seed.cfg" "$W/seed.cfg.NEW" >/dev/null 2>&1; then
  cat "$W/seed.cfg.NEW" > "$W/seed.cfg"
fi
SH
chmod +x "$work/seed.sh"

jar=agent/target/muster-agent.jar
# The package's own launcher (agent/src/deb/bin/muster) with the class cache its install script
# makes (postinst: `muster train`), and with one made by a `once` run instead.
export MUSTER_JAR="$PWD/$jar"
mkdir -p "$work/cache-installed" "$work/cache-trained"
MUSTER_CACHE="$work/cache-installed" sh agent/src/deb/bin/muster train > /dev/null 2>&1
# Only `train` makes a cache; this one is asked for explicitly, with the launcher's settings for once.
MUSTER_JAVA_OPTS="-XX:+UseSerialGC -XX:-UsePerfData -Xms16m -Xmx512m -Xss512k -XX:TieredStopAtLevel=1 \
-XX:ArchiveClassesAtExit=$work/cache-trained/muster.jsa -Xlog:cds*=off" \
  sh agent/src/deb/bin/muster once --config "$work/muster.yaml" > /dev/null 2>&1

measure() { # name, command...: appends "wall user sys maxrss_kb"
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; }
  echo "$(cat "$work/t")" >> "$work/$name"
}
for run in $(seq "$runs"); do
  measure seed env W="$work" EP="$endpoint" "$work/seed.sh"
  measure default java -jar "$jar" once --config "$work/muster.yaml"
  measure launcher env MUSTER_CACHE="$work/cache-installed" sh agent/src/deb/bin/muster once --config "$work/muster.yaml"
  measure trained env MUSTER_CACHE="$work/cache-trained" sh agent/src/deb/bin/muster once --config "$work/muster.yaml"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| %s instances, pages of %s | wall (s) | CPU user+sys (s) | peak RSS (MiB) |\n|---|---|---|---|\n' "$instances" "$page"
for name in seed default launcher trained; do
  wall=$(awk '{print $1}' "$work/$name" | median)
  cpu=$(awk '{print $2+$3}' "$work/$name" | median)
  rss=$(awk '{print $4/1024}' "$work/$name" | median)
  printf '| %s | %s | %s | %.0f |\n' "$name" "$wall" "$cpu" "$rss"
done

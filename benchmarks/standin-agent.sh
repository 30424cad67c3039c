# Sourced by the footprint scripts: a work folder ($work) removed on exit, with the process in $pid
# stopped; the test kit's EC2 (StandInEc2) with $instances instances on 127.0.0.1, serving until
# fd 3 closes; a free status port; and in $work the agent's file (muster.yaml: one backend polled
# every $interval into an HAProxy file that is never reloaded) with its header. Sets endpoint and
# port; exports the stand-in's credentials. Defines launcher_cache.
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; exec 3>&-; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret
mkfifo "$work/in"
java -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar dev.muster.benchmarks.StandInEc2 \
    "$instances" 1000 < "$work/in" > "$work/endpoint" 2> "$work/standin.log" &
exec 3> "$work/in"
for _ in $(seq 600); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
endpoint=$(head -1 "$work/endpoint")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:18997\n    default_backend web\n' > "$work/header.cfg"
cat > "$work/muster.yaml" <<YAML
aws: {region: us-east-1, endpoint: $endpoint}
discovery: {interval: $interval}
backends:
  web: {tags: {role: web}, port: 80}
outputs:
  edge: {type: haproxy, header: header.cfg, file: haproxy.cfg, backends: [web], reload: {command: ["true"]}}
status: {listen: "127.0.0.1:$port"}
YAML

# The package's launcher (agent/src/deb/bin/muster) on the built jar, with its class cache in
# $work/cache made as the install script makes it: `muster train`, without MUSTER_JAVA_OPTS
# (postinst does not read /etc/default/muster). With `check`, the cache is instead the class-data
# archive (Java 17) of a `muster check`, with the launcher's settings for short commands: only
# train makes a cache by itself, so it is asked for explicitly.
launcher_cache() {
  mkdir -p "$work/cache"
  export MUSTER_JAR="$PWD/agent/target/muster-agent.jar" MUSTER_CACHE="$work/cache"
  if [ "${1:-train}" = check ]; then
    MUSTER_JAVA_OPTS="-XX:+UseSerialGC -XX:-UsePerfData -Xms16m -Xmx512m -Xss512k \
-XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit=$work/cache/muster.jsa -Xlog:cds*=off" \
      sh agent/src/deb/bin/muster check --config "$work/muster.yaml"
  else
    (unset MUSTER_JAVA_OPTS; sh agent/src/deb/bin/muster train)
  fi > /dev/null 2>&1 || true
}

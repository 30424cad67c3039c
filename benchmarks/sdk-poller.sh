# Sourced by benchmarks/footprint.sh (WHO=sdk): the floor under the agent, BareSdkPoller (the AWS
# SDK's generated EC2 client polling the stand-in at $endpoint every $interval, keeping nothing),
# with the JVM settings the package's launcher gives `muster run` and a class cache of its own,
# made by a two-poll run first as the install script makes the agent's. Sets pid, and defines
# fetches: the polls so far.
opts="-XX:+UseSerialGC -XX:-UsePerfData -Xms16m -Xmx512m -Xss512k -XX:TieredStopAtLevel=1
 -Xlog:disable -Xlog:all=warning:stderr"
seconds=${interval%s}
# $opts unquoted: one word per setting.
java $opts -XX:ArchiveClassesAtExit="$work/sdk.jsa" -Xlog:cds*=off:stderr -cp benchmarks/target/benchmarks.jar \
    dev.muster.benchmarks.BareSdkPoller "$endpoint" 1 "$work/polls" 2 > /dev/null 2>&1
rm -f "$work/polls"
java $opts -XX:SharedArchiveFile="$work/sdk.jsa" -Xlog:cds*=off:stderr -cp benchmarks/target/benchmarks.jar \
    dev.muster.benchmarks.BareSdkPoller "$endpoint" "$seconds" "$work/polls" > "$work/sdk.log" 2>&1 &
pid=$!
fetches() { awk '{print $1}' "$work/polls" 2>/dev/null; }

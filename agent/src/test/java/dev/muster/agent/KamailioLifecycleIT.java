package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import dev.muster.kamailio.DispatcherReloader;
import dev.muster.kamailio.Kamailio;
import dev.muster.testkit.FakeAutoScaling;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drain before terminate for SIP: the agent, Kamailio 5.6 with the sample configuration, three sipp
 * UAS destinations and a sipp UAC placing 20 s calls at a steady rate. Auto Scaling scales in a
 * destination with calls in progress, with a hook heartbeat timeout shorter than the calls. The
 * destination gets no new call once the agent drained it, none of its calls is dropped, and the
 * lifecycle action is completed only after its last call ended, with heartbeats in between.
 */
class KamailioLifecycleIT {
  private static final String GROUP = "sip-asg";
  private static final String HOOK = "muster-sip";
  private static final int CALLS = 40;

  @TempDir Path dir;

  private LifecycleHarness aws;
  private final List<ExternalProcess> processes = new ArrayList<>();

  @AfterEach
  void stop() {
    if (aws != null && aws.muster != null) {
      aws.muster.destroyForcibly();
    }
    processes.forEach(ExternalProcess::close);
    if (aws != null) {
      aws.close();
    }
  }

  @Test
  void aTerminatingSipDestinationTakesNoNewCallAndDropsNone() throws Exception {
    aws =
        new LifecycleHarness(
            dir, GROUP, HOOK, Duration.ofSeconds(8), FakeAutoScaling.Format.AUTO_SCALING);
    Path sipp = Path.of("../renderer-kamailio/src/test/resources/sipp");
    List<String> ids = new ArrayList<>();
    List<String> destinations = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String address = "127.0.0." + (80 + i);
      int port = ExternalProcess.freeUdpPort(address);
      processes.add(Proxies.sippUas(sipp.resolve("uas.xml"), address, port, uasStats(address)));
      ids.add(
          aws.ec2
              .fleet()
              .launch(
                  1,
                  spec ->
                      spec.privateIps(address)
                          .tag("role", "sip")
                          .tag("muster:port", Integer.toString(port)))
              .get(0)
              .instanceId());
      destinations.add("sip:" + address + ":" + port);
    }
    int sipPort = ExternalProcess.freeUdpPort("127.0.0.1");
    int rpcPort = ExternalProcess.freeTcpPort();
    Path list = dir.resolve("dispatcher.list");
    Files.writeString(
        dir.resolve("kamailio.cfg"),
        Files.readString(
                Path.of("../renderer-kamailio/src/main/resources/dev/muster/kamailio/kamailio.cfg"))
            .replace(
                "!MUSTER_SIP_ADDR!127.0.0.1:5070!", "!MUSTER_SIP_ADDR!127.0.0.1:" + sipPort + "!")
            .replace(
                "!MUSTER_RPC_ADDR!127.0.0.1:5071!", "!MUSTER_RPC_ADDR!127.0.0.1:" + rpcPort + "!")
            .replace("!MUSTER_LIST!/etc/kamailio/dispatcher.list!", "!MUSTER_LIST!" + list + "!")
            .replace("!MUSTER_RELOAD_DELTA!5!", "!MUSTER_RELOAD_DELTA!1!")
            .replace("children=4", "children=2"));
    aws.startMuster(
        Duration.ofSeconds(60),
        Duration.ofSeconds(2),
        """
        backends:
          sip: {tags: {role: sip}, port: 5060}
        outputs:
          dispatcher:
            type: kamailio
            file: dispatcher.list
            rpc: http://127.0.0.1:RPCPORT/RPC
            backends: [sip]
        """
            .replace("RPCPORT", Integer.toString(rpcPort)));
    aws.await(() -> Files.exists(list), "the first dispatcher.list");
    processes.add(Proxies.kamailio(dir.resolve("kamailio.cfg"), dir, rpcPort));
    DispatcherReloader rpc =
        Kamailio.reloader(URI.create("http://127.0.0.1:" + rpcPort + "/RPC"), list).build();

    Path uacStats = dir.resolve("uac.csv");
    ExternalProcess uac =
        Proxies.sippUac(
            sipp.resolve("uac.xml"),
            "127.0.0.1:" + sipPort,
            ExternalProcess.freeUdpPort("127.0.0.1"),
            CALLS,
            2,
            20_000,
            uacStats);
    processes.add(uac);
    String target = destinations.get(0);
    String targetAddress = "127.0.0.80";
    aws.await(() -> count(rpc, target) >= 2, "two calls in progress on the target");

    AtomicLong lastCallSeen = new AtomicLong(System.currentTimeMillis());
    Thread watcher =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                if (count(rpc, target) != 0) {
                  lastCallSeen.set(System.currentTimeMillis());
                }
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    watcher.setDaemon(true);
    watcher.start();

    long terminatedAt = System.currentTimeMillis();
    aws.autoscaling.terminate(GROUP, ids.get(0));
    aws.await(
        () -> !Files.readString(list).contains(targetAddress + ":"), "the target out of the list");
    long drainedAt = System.currentTimeMillis();
    Thread.sleep(1_500); // the UAS statistics file is written every second
    long callsAtDrain = Proxies.sippStat(uasStats(targetAddress), "IncomingCall(C)");

    aws.awaitTerminated(ids.get(0));
    FakeAutoScaling.Completion completion = aws.autoscaling.completions().get(0);
    assertTrue(uac.process().waitFor(120, TimeUnit.SECONDS), "the UAC ends");
    watcher.interrupt();
    Thread.sleep(1_500);
    long successful = Proxies.sippStat(uacStats, "SuccessfulCall(C)");
    long failed = Proxies.sippStat(uacStats, "FailedCall(C)");
    long targetCalls = Proxies.sippStat(uasStats(targetAddress), "IncomingCall(C)");
    long heartbeats = aws.autoscaling.heartbeats(HOOK, ids.get(0));
    System.out.printf(
        "Kamailio lifecycle drain: %d calls of 20 s, %d successful, %d failed; the target took %d"
            + " calls, %d after the drain (%d ms after the event); its last call ended %d ms before"
            + " CompleteLifecycleAction (%s, %d heartbeats, hook timeout 8 s)%n",
        CALLS,
        successful,
        failed,
        targetCalls,
        targetCalls - callsAtDrain,
        drainedAt - terminatedAt,
        completion.at().toEpochMilli() - lastCallSeen.get(),
        completion.result(),
        heartbeats);
    assertEquals(CALLS, successful, "every call completes");
    assertEquals(0, failed, "no call dropped");
    assertEquals(callsAtDrain, targetCalls, "no new call to the target after the drain");
    assertEquals("CONTINUE", completion.result());
    assertFalse(completion.timedOut(), "completed by the agent, not by the hook's timeout");
    assertTrue(heartbeats >= 1, "heartbeats while the 20 s calls outlived the 8 s timeout");
    assertTrue(
        completion.at().toEpochMilli() >= lastCallSeen.get(),
        "completed only after the target's last call ended");
  }

  private static long count(DispatcherReloader rpc, String destination) {
    try {
      return rpc.activeCalls(destination);
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private Path uasStats(String address) {
    return dir.resolve("uas-" + address + ".csv");
  }
}

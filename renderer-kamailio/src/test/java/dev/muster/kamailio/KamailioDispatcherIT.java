package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.LoopRig;
import dev.muster.fixtures.Await;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher list against the real Kamailio 5.6 (the sample configuration Muster ships) with
 * sipp UAS backends as fleet members and a bounded sipp UAC call load through Kamailio.
 */
class KamailioDispatcherIT {
  @TempDir Path dir;

  private final List<SipProcess> processes = new ArrayList<>();
  private final List<String> uasAddresses = new ArrayList<>();
  private final Map<String, Integer> uasPorts = new HashMap<>();
  private final Map<String, String> uasOf = new HashMap<>();
  private FakeEc2 ec2;
  private LoopRig loop;
  private ConfigPipeline pipeline;
  private DispatcherReloader reloader;
  private DispatcherList renderer;
  private Path list;
  private Path uasScenario;
  private Path uacScenario;
  private int sipPort;

  @BeforeEach
  void start() throws Exception {
    uasScenario = copy("/sipp/uas.xml");
    uacScenario = copy("/sipp/uac.xml");
    for (int i = 0; i < 4; i++) {
      String address = "127.0.0." + (70 + i);
      int port = SipProcess.freeUdpPort(address);
      uasAddresses.add(address);
      uasPorts.put(address, port);
      processes.add(SipProcess.uas(uasScenario, address, port, stats(address)));
    }
    ec2 = FakeEc2.start();
    launch(uasAddresses.get(0));
    launch(uasAddresses.get(1));

    sipPort = SipProcess.freeUdpPort("127.0.0.1");
    int rpcPort = SipProcess.freeTcpPort();
    list = dir.resolve("dispatcher.list");
    Path config = dir.resolve("kamailio.cfg");
    Files.writeString(
        config,
        sampleConfig()
            .replace(
                "!MUSTER_SIP_ADDR!127.0.0.1:5070!", "!MUSTER_SIP_ADDR!127.0.0.1:" + sipPort + "!")
            .replace(
                "!MUSTER_RPC_ADDR!127.0.0.1:5071!", "!MUSTER_RPC_ADDR!127.0.0.1:" + rpcPort + "!")
            .replace("!MUSTER_LIST!/etc/kamailio/dispatcher.list!", "!MUSTER_LIST!" + list + "!")
            .replace("!MUSTER_RELOAD_DELTA!5!", "!MUSTER_RELOAD_DELTA!2!")
            .replace("children=4", "children=2"));

    renderer = DispatcherList.newBuilder().set("acd", DispatcherSet.of(1)).build();
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "acd").build())
            .mapping(MemberMapping.newBuilder().port(5060).weight(50).build())
            .build();
    FileTarget.newBuilder(list)
        .validator(Kamailio.validator())
        .build()
        .apply(renderer.render(Map.of("acd", source.fetch())));
    processes.add(SipProcess.kamailio(config, dir, rpcPort));

    reloader = Kamailio.reloader(URI.create("http://127.0.0.1:" + rpcPort + "/RPC"), list).build();
    pipeline =
        ConfigPipeline.newBuilder()
            .name("kamailio")
            .renderer(renderer)
            .target(
                FileTarget.newBuilder(list)
                    .validator(Kamailio.validator())
                    .reloader(reloader)
                    .build())
            .build();
    loop =
        LoopRig.start("acd", source, Duration.ofSeconds(2), Duration.ZERO, pipeline.backend("acd"));
  }

  @AfterEach
  void stop() {
    if (loop != null) {
      loop.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    processes.forEach(SipProcess::close);
    if (ec2 != null) {
      ec2.close();
    }
  }

  private Path copy(String resource) throws IOException {
    Path target = dir.resolve(Path.of(resource).getFileName().toString());
    try (InputStream in = getClass().getResourceAsStream(resource)) {
      Files.copy(in, target);
    }
    return target;
  }

  private static String sampleConfig() throws IOException {
    try (InputStream in =
        DispatcherList.class.getResourceAsStream("/dev/muster/kamailio/kamailio.cfg")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** sipp's error trace of a UAC (the messages of each failed call), or why it is missing. */
  private static String errors(Path stats) {
    try {
      String text = Files.readString(stats.resolveSibling(stats.getFileName() + ".errors"));
      return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private Path stats(String address) {
    return dir.resolve("uas-" + address + ".csv");
  }

  private FakeInstance launch(String address) {
    FakeInstance instance =
        ec2.fleet()
            .launch(
                1,
                spec ->
                    spec.privateIps(address)
                        .tag("role", "acd")
                        .tag("muster:port", Integer.toString(uasPorts.get(address))))
            .get(0);
    uasOf.put(instance.instanceId(), address);
    return instance;
  }

  private void applyChange(Runnable change) throws InterruptedException {
    loop.applyChange(change, pipeline::appliedCount);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(30), what);
  }

  @Test
  void zeroFailedCallsWhileBackendsAreAddedAndRemovedTenTimes() throws Exception {
    Path uacStats = dir.resolve("uac.csv");
    SipProcess uac =
        SipProcess.uac(
            uacScenario,
            "127.0.0.1:" + sipPort,
            SipProcess.freeUdpPort("127.0.0.1"),
            300,
            20,
            500,
            uacStats);
    processes.add(uac);
    Deque<FakeInstance> members = new ArrayDeque<>(ec2.fleet().running());
    Deque<String> spare = new ArrayDeque<>(uasAddresses.subList(2, 4));
    String lastRemoved = null;
    Instant lastRemovedAt = null;
    for (int event = 0; event < 10; event++) {
      if (event % 2 == 0) {
        String address = spare.poll();
        applyChange(() -> members.add(launch(address)));
      } else {
        FakeInstance leaving = members.poll();
        lastRemoved = uasOf.get(leaving.instanceId());
        applyChange(() -> ec2.fleet().terminate(leaving.instanceId()));
        lastRemovedAt = Instant.now();
        spare.add(lastRemoved);
      }
      Thread.sleep(1000);
    }
    // Calls set up before the last removal end within their 500 ms hold; then its count
    // must stay put.
    Thread.sleep(Math.max(0, 2500 - Duration.between(lastRemovedAt, Instant.now()).toMillis()));
    long settled = SipProcess.stat(stats(lastRemoved), "SuccessfulCall(C)");

    assertTrue(uac.process.waitFor(120, TimeUnit.SECONDS), "the UAC finished");
    Thread.sleep(1500);
    long created = SipProcess.stat(uacStats, "TotalCallCreated");
    long successful = SipProcess.stat(uacStats, "SuccessfulCall(C)");
    long failed = SipProcess.stat(uacStats, "FailedCall(C)");
    long answered = 0;
    StringBuilder perBackend = new StringBuilder();
    for (String address : uasAddresses) {
      long calls = SipProcess.stat(stats(address), "SuccessfulCall(C)");
      answered += calls;
      perBackend.append(address).append('=').append(calls).append(' ');
    }
    System.out.printf(
        "Kamailio dispatcher, 10 add/remove events (%d reloads, %d waits for "
            + "'Ongoing reload'): sipp UAC %d calls, %d successful, %d failed; UAS %s%n",
        pipeline.appliedCount(),
        reloader.ongoingRetries(),
        created,
        successful,
        failed,
        perBackend.toString().strip());
    assertEquals(
        0,
        uac.process.exitValue(),
        "sipp UAC exit code (0: every call succeeded); its errors: " + errors(uacStats));
    assertEquals(300, created);
    assertEquals(300, successful);
    assertEquals(0, failed);
    assertEquals(300, answered, "every call reached a backend and completed there");
    assertEquals(
        settled,
        SipProcess.stat(stats(lastRemoved), "SuccessfulCall(C)"),
        lastRemoved + " got calls after its removal was reloaded");
  }

  @Test
  void aZoneAwareListIsReloadedByKamailioWithOtherZonesAtPriorityZero() throws Exception {
    DispatcherList zoned =
        DispatcherList.newBuilder()
            .set("acd", DispatcherSet.of(1))
            .zone("us-east-1a")
            .zoneAware("acd", 1)
            .build();
    List<dev.muster.discovery.Member> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String address = uasAddresses.get(i);
      members.add(
          dev.muster.discovery.Member.newBuilder("i-zone" + i)
              .address(address)
              .port(uasPorts.get(address))
              .availabilityZone(i == 0 ? "us-east-1a" : "us-east-1b")
              .build());
    }
    String text =
        zoned.render(
            Map.of("acd", dev.muster.discovery.Snapshot.of(members, java.time.Instant.EPOCH)));
    loop.discovery().close(); // this test applies by hand

    FileTarget.newBuilder(list)
        .validator(Kamailio.validator())
        .reloader(reloader) // reloads, then reads dispatcher.list back and compares
        .build()
        .apply(text);

    List<String> lines = text.lines().filter(l -> !l.startsWith("#")).toList();
    assertEquals(3, lines.size(), text);
    assertTrue(text.contains(" 1 duid=i-zone0;"), "same zone: priority 1\n" + text);
    assertTrue(
        text.contains(" 0 duid=i-zone1;") && text.contains(" 0 duid=i-zone2;"),
        "other zones: priority 0\n" + text);
  }

  @Test
  void emptyFleetIsHeldAndAnEmptyListNeverReachesKamailio() throws Exception {
    String before = Files.readString(list);

    ec2.fleet().running().forEach(i -> ec2.fleet().terminate(i.instanceId()));
    loop.discovery().refresh();
    await(() -> loop.discovery().status().held() != null, "the guard to hold");

    assertTrue(
        loop.discovery().status().held().contains("0 members"), loop.discovery().status().held());
    assertEquals(before, Files.readString(list));
    FileTarget target =
        FileTarget.newBuilder(list).validator(Kamailio.validator()).reloader(reloader).build();
    ApplyException e =
        assertThrows(
            ApplyException.class,
            () -> target.apply(renderer.render(Map.of("acd", Snapshot.empty(Instant.now())))));
    assertTrue(e.getMessage().contains("no destinations"), e.getMessage());
    assertEquals(before, Files.readString(list));
  }

  @Test
  void malformedListIsCaughtBeforeKamailioSeesIt() throws Exception {
    String before = Files.readString(list);
    FileTarget target =
        FileTarget.newBuilder(list).validator(Kamailio.validator()).reloader(reloader).build();

    ApplyException e =
        assertThrows(
            ApplyException.class,
            () -> target.apply("1 sip:acd-1.internal:5060 0 0 duid=i-1;weight=50\n"));

    assertTrue(e.getMessage().contains("not a host name"), e.getMessage());
    assertEquals(before, Files.readString(list));
    reloader.reload(); // Kamailio still holds exactly the live file
  }
}

package dev.muster.kamailio;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.internal.IoErrors;
import dev.muster.kamailio.internal.JsonRpc;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads one of Kamailio's in-memory tables from its file over JSON-RPC and reads it back: the
 * rtpengine nodes ({@code rtpengine.reload}, read back with {@code rtpengine.show all}) or the
 * permissions module's trusted addresses ({@code permissions.addressReload}, read back with {@code
 * permissions.addressDump}). Built by {@link Kamailio#rtpengineReloader} and {@link
 * Kamailio#permissionsReloader}.
 *
 * <p>Both modules refuse a reload that comes too soon after the previous one (rtpengine: about 10
 * s, "Too short reload interval"; permissions: {@code reload_delta}, "ongoing reload"). The file on
 * disk is already the newest, so this waits and tries again until {@link Builder#maxWait}: a burst
 * of changes is applied by the first reload allowed, which reads all of them. After the reload,
 * Kamailio's table must hold exactly the file's entries, or the reload fails (and the {@code
 * FileTarget} restores the previous file).
 *
 * <p>Thread-safe.
 */
public final class RpcReloader implements Reloader {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.kamailio");

  /** What one kind of table needs: its RPC methods, the refusal to wait out, the entry keys. */
  record Kind(
      String name,
      String reload,
      String tooSoon,
      String dump,
      String dumpParams,
      Function<String, Set<String>> fileEntries,
      Function<Object, Set<String>> liveEntries) {}

  private final Kind kind;
  private final JsonRpc rpc;
  private final Path file;
  private final Duration maxWait;
  private final Duration retryPause;
  private volatile int waits;
  private long lastStamp;

  private RpcReloader(Builder b) {
    this.kind = b.kind;
    this.rpc = new JsonRpc(b.endpoint);
    this.file = b.file;
    this.maxWait = b.maxWait;
    this.retryPause = b.retryPause;
  }

  static Builder newBuilder(Kind kind, URI endpoint, Path file) {
    return new Builder(kind, endpoint, file);
  }

  /** How many times a reload waited because it came too soon, so far. */
  public int waits() {
    return waits;
  }

  @Override
  public void reload() {
    newerStamp();
    waits += rpc.reload(kind.reload(), kind.tooSoon(), maxWait, retryPause, kind.name());
    verify();
  }

  /**
   * Gives the file a modification time a whole second later than at any reload before. {@code
   * db_text} (with {@code db_mode} 1) reads a table again only when its {@code st_mtime} in whole
   * seconds is later than when it last read it ({@code dbt_check_mtime} in Kamailio 5.6), so a
   * change written within the same second as the table it read last (at Kamailio's start, say)
   * would go unseen: KamailioMediaIT met it, a reload that kept the table from the start.
   */
  private synchronized void newerStamp() {
    try {
      long now = System.currentTimeMillis() / 1000;
      long current = Files.getLastModifiedTime(file).toMillis() / 1000;
      // One second past both the write and the last reload: the table db_text read last (at
      // Kamailio's start, or at the last reload) may carry the same second as this write.
      long stamp = Math.max(Math.max(now, current) + 1, lastStamp + 1);
      if (stamp != current) {
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(stamp * 1000));
      }
      lastStamp = stamp;
    } catch (IOException e) {
      throw new ApplyException("reload failed: cannot stamp " + IoErrors.describe(e), e);
    }
  }

  /** The entries Kamailio holds now, as {@code SET URL WEIGHT} or {@code GROUP ADDRESS PORT}. */
  public Set<String> live() {
    return kind.liveEntries().apply(dump());
  }

  private Object dump() {
    return rpc.result(kind.dump(), kind.dumpParams());
  }

  private void verify() {
    Set<String> expected;
    try {
      expected = kind.fileEntries().apply(Files.readString(file));
    } catch (IOException e) {
      throw new ApplyException("reload check failed: cannot read " + IoErrors.describe(e), e);
    }
    Object raw = dump();
    Set<String> actual = kind.liveEntries().apply(raw);
    if (!actual.equals(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(actual);
      Set<String> extra = new TreeSet<>(actual);
      extra.removeAll(expected);
      throw new ApplyException(
          "reload check failed: after "
              + kind.reload()
              + " Kamailio lacks "
              + missing
              + " and has "
              + extra
              + " beyond "
              + file
              + " ("
              + kind.dump()
              + ": "
              + String.valueOf(raw).replaceAll("\\s+", " ")
              + ")");
    }
    log.debug("{} matches {} ({} entries)", kind.dump(), file, actual.size());
  }

  @Override
  public String toString() {
    return "Kamailio " + kind.reload() + " at " + rpc.endpoint();
  }

  /** Builds an {@link RpcReloader}. Not thread-safe. */
  public static final class Builder {
    private final Kind kind;
    private final URI endpoint;
    private final Path file;
    private Duration maxWait = Duration.ofSeconds(15);
    private Duration retryPause = Duration.ofMillis(500);

    private Builder(Kind kind, URI endpoint, Path file) {
      this.kind = kind;
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * How long to keep trying while Kamailio says the reload comes too soon; above the module's
     * interval (rtpengine about 10 s, permissions {@code reload_delta}). 15 s unless set.
     */
    public Builder maxWait(Duration maxWait) {
      this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
      return this;
    }

    /** The pause between tries; 500 ms unless set. */
    public Builder retryPause(Duration retryPause) {
      this.retryPause = Objects.requireNonNull(retryPause, "retryPause");
      return this;
    }

    /** Builds it. */
    public RpcReloader build() {
      return new RpcReloader(this);
    }
  }
}

package dev.muster.discovery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link ProcessRunner#SYSTEM}: runs real processes, draining both output streams so a chatty
 * process cannot block. Package-private: the interface is the API.
 */
final class SystemProcessRunner implements ProcessRunner {
  private static final int MAX_CAPTURE = 64 * 1024;

  @Override
  public Result run(List<String> command, Duration timeout) {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // the process does not read its input; nothing to close
    }
    Capture out = new Capture(process.getInputStream());
    Capture err = new Capture(process.getErrorStream());
    out.start();
    err.start();
    boolean finished;
    try {
      finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, out.text(), err.text(), true);
    }
    if (!finished) {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    out.finish();
    err.finish();
    return new Result(finished ? process.exitValue() : -1, out.text(), err.text(), !finished);
  }

  private static final class Capture extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Capture(InputStream in) {
      super("muster-process-output");
      setDaemon(true);
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buffer = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          synchronized (bytes) {
            if (bytes.size() < MAX_CAPTURE) {
              bytes.write(buffer, 0, Math.min(n, MAX_CAPTURE - bytes.size()));
            }
          }
        }
      } catch (IOException e) {
        // the stream closes when the process is killed
      }
    }

    void finish() {
      try {
        join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }
  }
}

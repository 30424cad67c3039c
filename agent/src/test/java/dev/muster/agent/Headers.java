package dev.muster.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** HAProxy headers for tests: defaults and one frontend on loopback, its backend named web. */
final class Headers {
  private Headers() {}

  /** Writes {@code dir/header.cfg} with a frontend bound to 127.0.0.1:{@code port}. */
  static Path write(Path dir, int port) throws IOException {
    return Files.writeString(
        dir.resolve("header.cfg"),
        """
        defaults
            mode http
            timeout connect 1s
            timeout client 1s
            timeout server 1s
        frontend fe
            bind 127.0.0.1:PORT
            default_backend web
        """
            .replace("PORT", Integer.toString(port)));
  }
}

package dev.muster.kamailio;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Validator;
import dev.muster.discovery.internal.IoErrors;
import dev.muster.kamailio.internal.ListEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a candidate {@code dispatcher.list} before it replaces the live one, because Kamailio
 * skips or misreads many malformed lines without failing the reload. Every line that is not blank
 * or a comment must be {@code setid sip:IP:PORT[;transport=T] [flags [priority [attrs]]]}: an IP
 * address (a host name would be resolved at every reload), port 1 to 65535, weight 1 to 100,
 * attributes without white space or control characters, at most 1022 bytes (Kamailio splits longer
 * lines). Also refused: a destination listed twice in a set, more than {@code maxEntries}
 * destinations (a huge list can exhaust Kamailio's shared memory and leave it broken), and an empty
 * list unless allowed (Kamailio accepts it and then answers every call with 503).
 */
public final class DispatcherListValidator implements Validator {
  private final int maxEntries;
  private final boolean allowEmpty;

  /**
   * @param maxEntries the most destinations the list may hold, 1 to 100,000
   * @param allowEmpty whether a list without destinations may be applied
   */
  DispatcherListValidator(int maxEntries, boolean allowEmpty) {
    if (maxEntries < 1 || maxEntries > 100_000) {
      throw new IllegalArgumentException("maxEntries must be 1 to 100000: " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.allowEmpty = allowEmpty;
  }

  /** At most 5,000 destinations, never empty. */
  DispatcherListValidator() {
    this(5000, false);
  }

  @Override
  public void validate(Path candidate) {
    String text;
    try {
      text = Files.readString(candidate);
    } catch (IOException e) {
      throw new ApplyException("validation failed: cannot read " + IoErrors.describe(e), e);
    }
    List<ListEntry> entries;
    try {
      entries = ListEntry.parseAll(text);
    } catch (IllegalArgumentException e) {
      throw ApplyException.rejected("validation failed: dispatcher list " + e.getMessage(), e);
    }
    if (entries.isEmpty() && !allowEmpty) {
      throw new ApplyException(
          "validation failed: the dispatcher list has no destinations; "
              + "Kamailio would accept it and answer every call with 503 (allow it explicitly "
              + "if that is what you want)");
    }
    if (entries.size() > maxEntries) {
      throw new ApplyException(
          "validation failed: the dispatcher list has "
              + entries.size()
              + " destinations, more than the cap of "
              + maxEntries
              + " (a huge list can exhaust "
              + "Kamailio's shared memory; raise the cap and -m together)");
    }
    Set<String> seen = new HashSet<>();
    for (ListEntry e : entries) {
      if (!seen.add(e.setId() + " " + e.uri())) {
        throw ApplyException.rejected(
            "validation failed: " + e.uri() + " is listed twice in set " + e.setId(), null);
      }
    }
  }

  @Override
  public String toString() {
    return "dispatcher list check (max " + maxEntries + (allowEmpty ? ", empty allowed)" : ")");
  }
}

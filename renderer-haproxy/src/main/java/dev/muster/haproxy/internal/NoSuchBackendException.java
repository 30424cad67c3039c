package dev.muster.haproxy.internal;

import dev.muster.discovery.ApplyException;

/** The running HAProxy has no backend of that name: the configuration it runs predates it. */
public final class NoSuchBackendException extends ApplyException {
  private static final long serialVersionUID = 1L;

  /** For {@code backend}, with HAProxy's {@code answer}. */
  public NoSuchBackendException(String backend, String answer) {
    super("HAProxy has no backend " + backend + " (" + answer + ")");
  }
}

package dev.muster.agent;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * SIGHUP handling through {@code sun.misc.Signal} (module {@code jdk.unsupported}, kept for exactly
 * this use), called reflectively because javac warns on every direct use of it and the build treats
 * warnings as errors.
 */
final class Signals {
  private Signals() {}

  /**
   * Runs {@code action} on each {@code name} signal (for example {@code HUP}), on the JVM's signal
   * thread.
   *
   * @return false if the signal was ignored when this process started (as under {@code nohup}): the
   *     JVM then keeps ignoring it and {@code action} never runs
   * @throws IllegalStateException if this JVM cannot handle that signal
   */
  static boolean on(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      InvocationHandler call =
          (proxy, method, args) ->
              switch (method.getName()) {
                case "handle" -> {
                  action.run();
                  yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> "muster SIG" + name + " handler";
              };
      Object instance =
          Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, call);
      Object previous =
          signal
              .getMethod("handle", signal, handler)
              .invoke(null, signal.getConstructor(String.class).newInstance(name), instance);
      return previous != handler.getField("SIG_IGN").get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot handle SIG" + name + ": " + e, e);
    }
  }
}

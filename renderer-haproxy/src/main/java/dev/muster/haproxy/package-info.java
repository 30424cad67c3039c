/**
 * HAProxy: config-file mode ({@link dev.muster.haproxy.HaproxyConfig} renders, {@link
 * dev.muster.haproxy.MasterCliReloader} reloads) and runtime-API mode ({@link
 * dev.muster.haproxy.HaproxyRuntime}, a {@code Sink} that drains and warms up).
 */
package dev.muster.haproxy;

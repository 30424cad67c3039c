/**
 * Runtime mode's parts: the slot model and its pure plan, the runtime API and its stats-socket
 * client, the Unix-socket CLI. Not API.
 */
package dev.muster.haproxy.internal;

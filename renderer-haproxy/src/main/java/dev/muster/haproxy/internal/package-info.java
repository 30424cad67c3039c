/**
 * Runtime mode's parts: the server specs and their pure plan, what HAProxy allows for servers added
 * at runtime, the runtime API and its stats-socket client. Not API.
 */
package dev.muster.haproxy.internal;

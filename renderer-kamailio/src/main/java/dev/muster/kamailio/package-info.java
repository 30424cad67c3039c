/**
 * Kamailio: {@link dev.muster.kamailio.DispatcherList} renders the dispatcher list, {@link
 * dev.muster.kamailio.DispatcherListValidator} checks every line as Kamailio would not, {@link
 * dev.muster.kamailio.DispatcherReloader} reloads over JSON-RPC and reads the list back.
 */
package dev.muster.kamailio;

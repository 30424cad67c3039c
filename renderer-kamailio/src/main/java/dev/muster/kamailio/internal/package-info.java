/** The list line grammar and a small JSON reader for the RPC answers. Not API. */
package dev.muster.kamailio.internal;

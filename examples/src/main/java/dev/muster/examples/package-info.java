/**
 * The {@code muster.jar} command line (one sidecar per proxy) and the demo on a simulated fleet.
 */
package dev.muster.examples;

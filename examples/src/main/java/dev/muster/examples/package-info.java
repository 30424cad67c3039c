/**
 * The demo on a simulated fleet ({@code muster-demo.jar}). The command-line tool is the agent,
 * {@code muster}, alone.
 */
package dev.muster.examples;

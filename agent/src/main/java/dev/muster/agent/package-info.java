/**
 * The {@code muster} command: one process for every backend and proxy on a host, from one YAML file
 * read strictly ({@code ConfigReader}). An application: nothing here is API.
 */
package dev.muster.agent;

/**
 * nginx: {@link dev.muster.nginx.NginxConfig} renders an include file of {@code upstream} blocks;
 * {@link dev.muster.nginx.NginxValidator} runs {@code nginx -t} with the candidate in your main
 * configuration; {@code NginxConfig.reloader} reloads.
 */
package dev.muster.nginx;

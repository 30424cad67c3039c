/** JMH benchmarks: diff, fingerprint, render and poll, each beside a baseline (BENCHMARKS.md). */
package dev.muster.benchmarks;

/**
 * Fleet events: {@link dev.muster.events.EventParser} reads every message a Muster queue may hold,
 * and {@link dev.muster.events.EventIntake} long-polls the queue, refreshes, drains and completes
 * lifecycle actions.
 */
package dev.muster.events;

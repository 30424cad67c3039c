/**
 * The mechanics behind the API: the guard and the decision step, debouncing, fingerprints, the
 * state file, atomic files, validation of tag values, the template model. Not API: the module
 * exports it only to Muster's renderer modules.
 */
package dev.muster.discovery.internal;

/**
 * {@link dev.tokenbus.trace.FirstTokenTrace}: timestamps of a request's first token at each stage of its
 * path, for measuring where time to first token goes.
 */
package dev.tokenbus.trace;

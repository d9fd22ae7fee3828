/**
 * Debugging aids, off unless a system property turns them on: {@link dev.tokenbus.trace.FirstTokenTrace}
 * (timestamps of a request's first token at each stage of its path, in one JVM) and
 * {@link dev.tokenbus.trace.DispatchTrace} (each dispatch's hops, stamped by the gateway and the worker).
 */
package dev.tokenbus.trace;

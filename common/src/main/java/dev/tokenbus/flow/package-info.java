/**
 * Credit-based flow control over the event bus: {@link dev.tokenbus.flow.CreditedWriteStream} sends tokens
 * only while the consumer has granted credit, and {@link dev.tokenbus.flow.TokenStream} grants it as its reader
 * takes them, so a slow reader pauses its own sequence in the worker instead of buffering without bound.
 */
package dev.tokenbus.flow;

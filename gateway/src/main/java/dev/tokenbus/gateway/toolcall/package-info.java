/**
 * Tool calls (a leaf): the request's tools and choice, and the grammar that makes a required call.
 * The families' call syntax and the parsers that find calls in an answer are in common's
 * {@code dev.tokenbus.toolcall}.
 */
package dev.tokenbus.gateway.toolcall;

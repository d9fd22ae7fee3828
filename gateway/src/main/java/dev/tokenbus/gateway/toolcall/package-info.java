/**
 * Tool calls (a leaf): the request's tools and choice, the grammar that makes a required call, and
 * the parsers that find calls in an answer, whole or streamed.
 */
package dev.tokenbus.gateway.toolcall;

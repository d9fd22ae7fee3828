/**
 * Tool calls as models write them: one {@link dev.tokenbus.toolcall.ToolCallSyntax} per model
 * family, with its call text, the parts a required call's grammar is built from, and its parsers
 * (streamed and whole); {@link dev.tokenbus.toolcall.ToolCallReader} reads an answer in any family.
 */
package dev.tokenbus.toolcall;

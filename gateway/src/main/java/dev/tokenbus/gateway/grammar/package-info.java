/**
 * JSON Schema and regular expressions to GBNF (a leaf, no HTTP):
 * {@link dev.tokenbus.gateway.grammar.JsonSchemaGrammar}, with
 * {@link dev.tokenbus.gateway.grammar.RegexGrammar} for {@code pattern} and
 * {@link dev.tokenbus.gateway.grammar.IntegerRanges} for integer bounds; every grammar it makes is
 * bounded in size and depth and passes {@link dev.tokenbus.grammar.GbnfCheck}.
 */
package dev.tokenbus.gateway.grammar;

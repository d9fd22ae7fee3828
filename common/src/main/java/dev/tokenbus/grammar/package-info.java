/**
 * GBNF checked in Java before llama.cpp parses it ({@link dev.tokenbus.grammar.GbnfCheck}): syntax, depth,
 * size, left recursion and bounds. Contract: a grammar the check passes does not crash, hang or recurse without
 * end in llama.cpp's parser; one it refuses is a {@link dev.tokenbus.grammar.GbnfException} naming the problem.
 */
package dev.tokenbus.grammar;

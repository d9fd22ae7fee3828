/**
 * Reading request JSON (a leaf): {@link dev.tokenbus.gateway.json.StrictJson} refuses what
 * parsers read differently (a key twice, text after the value) and nesting past 256 before parsing,
 * {@link dev.tokenbus.gateway.json.WellFormedText} refuses lone surrogates, and
 * {@link dev.tokenbus.gateway.json.Fields} reads each field with the type it must have.
 */
package dev.tokenbus.gateway.json;

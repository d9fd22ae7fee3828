/** The web chat page at {@code /} and its assets, with a strict content security policy. */
package dev.tokenbus.gateway.api.chatpage;

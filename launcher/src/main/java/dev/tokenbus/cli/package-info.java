/**
 * The {@code bin/tokenbus} command line: the roles (standalone, gateway, worker), benchmarks and model and
 * cluster tools, configuration in layers (file, environment, flags: {@link dev.tokenbus.cli.LayeredDefaults}),
 * and node start and shutdown ({@link dev.tokenbus.cli.NodeRunner}). Contract: a bad setting stops the node
 * before anything starts, with the key, the problem and where the value came from.
 */
package dev.tokenbus.cli;

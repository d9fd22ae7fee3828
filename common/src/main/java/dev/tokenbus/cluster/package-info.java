/**
 * Joining the Hazelcast cluster with a TLS event bus ({@link dev.tokenbus.cluster.ClusterNode}), or running a
 * private standalone node without one; the cluster's CA and node certificates ({@link dev.tokenbus.cluster.ClusterCredentials});
 * members that join and leave, each checked and logged; repair of the event-bus subscriptions; draining at shutdown.
 * Contract: a node accepts event-bus traffic only from peers whose certificate the cluster's CA signed.
 */
package dev.tokenbus.cluster;

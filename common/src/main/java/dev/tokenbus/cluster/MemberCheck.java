package dev.tokenbus.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import javax.net.ssl.SSLHandshakeException;

/**
 * Checks that a member's event-bus server is one of this cluster's: a TLS handshake with this
 * node's certificate, trusting this cluster's CA alone. The same check the event bus makes on every
 * connection (Vert.x does not report a refused connection on the server side), made once per member
 * so that a refused member is logged, with the reason, on every node that refuses it.
 */
final class MemberCheck {

  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final NetClient client;

  MemberCheck(Vertx vertx, ClusterCredentials credentials) {
    this.client = vertx.createNetClient(tlsClientOptions(credentials).setConnectTimeout(CONNECT_TIMEOUT_MS));
  }

  /** The TLS settings of a client of the event bus: this node's certificate, the cluster's CA, no host names. */
  static NetClientOptions tlsClientOptions(ClusterCredentials credentials) {
    return new NetClientOptions().setSsl(true)
        // Nodes are known by their certificate's issuer, not by a host name (addresses change; containers have none).
        .setHostnameVerificationAlgorithm("")
        .setKeyCertOptions(keyCert(credentials)).setTrustOptions(trust(credentials));
  }

  static PemKeyCertOptions keyCert(ClusterCredentials c) {
    return new PemKeyCertOptions().setCertPath(c.nodeCertFile().toString()).setKeyPath(c.nodeKeyFile().toString());
  }

  static PemTrustOptions trust(ClusterCredentials c) {
    return new PemTrustOptions().addCertPath(c.caFile().toString());
  }

  /** Completes with null when the server at host:port proved a certificate of this cluster, else with why not. */
  Future<String> check(String host, int port) {
    return client.connect(port, host).transform(ar -> {
      if (ar.succeeded()) {
        ar.result().close();
        return Future.succeededFuture((String) null);
      }
      return Future.succeededFuture(reason(ar.cause()));
    });
  }

  Future<Void> close() {
    return client.close();
  }

  /** Whether a refusal is final (a certificate of another CA, or none): others may pass, and are checked again. */
  static boolean definitive(String reason) {
    return reason.startsWith("its certificate") || reason.startsWith("its event bus does not speak TLS");
  }

  /** A refusal's cause in words. */
  static String reason(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String all = t + " / " + root;
    if (all.contains("PKIX") || all.contains("unable to find valid certification path")
        || all.contains("certificate_unknown") || all.contains("Certificate signature validation failed")) {
      return "its certificate is not signed by this cluster's CA (other credentials)";
    }
    if (all.contains("NotSslRecord") || all.contains("not an SSL/TLS record") || all.contains("Unsupported or unrecognized SSL message")) {
      return "its event bus does not speak TLS (no cluster credentials)";
    }
    if (all.contains("andshake timed out") || all.contains("SslHandshakeTimeout")) {
      return "its event bus did not complete a TLS handshake (plain text, or no cluster credentials)";
    }
    if (t instanceof SSLHandshakeException || root instanceof SSLHandshakeException) {
      return "TLS handshake failed: " + root.getMessage();
    }
    return "its event bus cannot be reached: " + root;
  }
}

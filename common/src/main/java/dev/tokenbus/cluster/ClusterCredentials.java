package dev.tokenbus.cluster;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A cluster's credentials in one directory: the cluster CA's certificate ({@code ca.pem}), this
 * node's certificate signed by it ({@code node.pem}) and the node's private key ({@code
 * node-key.pem}); on the machine that created them also the CA's private key ({@code ca-key.pem}),
 * which issues certificates for other machines ({@link #exportBundle}). Every event-bus connection
 * between nodes is TLS with these, both ways: a node trusts exactly the certificates its CA signed.
 *
 * <p>Keys are EC P-256, certificates valid for ten years. Private keys are files only their owner can
 * read (0600, in a 0700 directory); {@link #load} refuses a key that others can read.
 */
public final class ClusterCredentials {

  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String NODE_CERT = "node.pem";
  public static final String NODE_KEY = "node-key.pem";

  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final X509Certificate ca;
  private final X509Certificate node;

  private ClusterCredentials(Path dir, X509Certificate ca, X509Certificate node) {
    this.dir = dir;
    this.ca = ca;
    this.node = node;
  }

  /** {@code $XDG_CONFIG_HOME/tokenbus/cluster}, else {@code ~/.config/tokenbus/cluster}. */
  public static Path defaultDirectory(Map<String, String> env) {
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("tokenbus").resolve("cluster");
  }

  public Path directory() {
    return dir;
  }

  public Path caFile() {
    return dir.resolve(CA_CERT);
  }

  public Path nodeCertFile() {
    return dir.resolve(NODE_CERT);
  }

  public Path nodeKeyFile() {
    return dir.resolve(NODE_KEY);
  }

  /** Whether this directory holds the CA's key, and so can issue certificates for other machines. */
  public boolean canIssue() {
    return Files.isRegularFile(dir.resolve(CA_KEY));
  }

  /** SHA-256 of the CA certificate, in hex: the cluster's identity (its default Hazelcast cluster name derives from it). */
  public String fingerprint() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ca.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** This node's certificate's subject, for logs. */
  public String nodeSubject() {
    return node.getSubjectX500Principal().getName();
  }

  /** Loads credentials created before; a missing file, a key others can read or a certificate not from the CA is an error that says so. */
  public static ClusterCredentials load(Path dir) throws IOException {
    for (String f : List.of(CA_CERT, NODE_CERT, NODE_KEY)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new IOException("cluster credentials in " + dir + " are incomplete: " + f + " is missing"
            + " (create them with: tokenbus cluster credentials init, or import them from another machine)");
      }
    }
    for (String f : List.of(NODE_KEY, CA_KEY)) {
      Path key = dir.resolve(f);
      if (Files.isRegularFile(key) && posix(key)) {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(key);
        if (p.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
          throw new IOException(key + " can be read by other users (" + PosixFilePermissions.toString(p)
              + "); a cluster key must be the owner's alone: chmod 600 " + key);
        }
      }
    }
    X509Certificate ca = readCertificate(dir.resolve(CA_CERT));
    X509Certificate node = readCertificate(dir.resolve(NODE_CERT));
    readKey(dir.resolve(NODE_KEY));
    try {
      node.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IOException(dir.resolve(NODE_CERT) + " is not signed by the CA of " + dir.resolve(CA_CERT), e);
    }
    return new ClusterCredentials(dir, ca, node);
  }

  /**
   * Loads the credentials in {@code dir}, creating a new cluster CA and node certificate there first
   * when the directory does not exist. Safe when several processes start at once: each builds its
   * own in a temporary directory beside it and renames it into place; whichever rename lands first
   * wins, and the others load the winner's.
   *
   * @return the credentials, and whether this call created them
   */
  public static Loaded loadOrCreate(Path dir) throws IOException {
    if (Files.exists(dir)) {
      return new Loaded(load(dir), false);
    }
    Path parent = dir.toAbsolutePath().getParent();
    createPrivateDirectories(parent);
    Path tmp = parent.resolve("." + dir.getFileName() + ".new-" + UUID.randomUUID());
    try {
      writeNew(tmp);
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Loaded(load(dir), true);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot create " + dir + " atomically: " + e.getMessage(), e);
      } catch (FileSystemException e) {
        // rename(2) onto a directory another process renamed into place first: ENOTEMPTY (or EEXIST)
        if (Files.isDirectory(dir)) {
          return new Loaded(load(dir), false);
        }
        throw e;
      }
    } finally {
      deleteTree(tmp);
    }
  }

  /** Creates a new cluster (CA and node certificate) in {@code dir}, which must not exist yet. */
  public static ClusterCredentials create(Path dir) throws IOException {
    if (Files.exists(dir)) {
      throw new FileAlreadyExistsException(dir.toString(), null, "cluster credentials exist already; remove the directory first to start a new cluster");
    }
    Loaded loaded = loadOrCreate(dir);
    if (!loaded.created()) {
      throw new FileAlreadyExistsException(dir.toString(), null, "created by another process meanwhile");
    }
    return loaded.credentials();
  }

  /** Credentials and whether they were created just now. */
  public record Loaded(ClusterCredentials credentials, boolean created) {}

  /**
   * Writes, in one PEM file readable by its owner only, what another machine needs to join: the CA
   * certificate and a new node certificate and key signed by this machine's CA key (which stays here).
   */
  public void exportBundle(Path file) throws IOException {
    if (!canIssue()) {
      throw new IOException(dir + " has no CA key (" + CA_KEY + "): export from the machine that created the cluster");
    }
    PrivateKey caKey = readKey(dir.resolve(CA_KEY));
    KeyPair nodeKeys = newKeyPair();
    X509Certificate issued = nodeCertificate(nodeKeys, ca, caKey);
    StringWriter out = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(ca);
      pem.writeObject(issued);
      pem.writeObject(new PemObject("PRIVATE KEY", nodeKeys.getPrivate().getEncoded()));
    }
    writePrivate(file, out.toString());
  }

  /**
   * Installs a bundle written by {@link #exportBundle} into {@code dir} (which must not exist), so
   * that this machine's nodes join the exporting machine's cluster.
   */
  public static ClusterCredentials importBundle(Path bundle, Path dir) throws IOException {
    if (Files.exists(dir)) {
      throw new FileAlreadyExistsException(dir.toString(), null,
          "credentials exist already; move them away to join another cluster");
    }
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(Files.readString(bundle)))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        objects.add(o);
      }
    }
    List<X509CertificateHolder> certs = objects.stream().filter(X509CertificateHolder.class::isInstance)
        .map(X509CertificateHolder.class::cast).toList();
    List<PrivateKeyInfo> keys = objects.stream().filter(PrivateKeyInfo.class::isInstance)
        .map(PrivateKeyInfo.class::cast).toList();
    if (certs.size() != 2 || keys.size() != 1) {
      throw new IOException(bundle + " is not a tokenbus credentials bundle (expected the CA certificate, a node"
          + " certificate and its key; found " + certs.size() + " certificates and " + keys.size() + " keys)");
    }
    Path parent = dir.toAbsolutePath().getParent();
    createPrivateDirectories(parent);
    Path tmp = parent.resolve("." + dir.getFileName() + ".import-" + UUID.randomUUID());
    try {
      Files.createDirectory(tmp, posixDir(parent));
      writePrivate(tmp.resolve(CA_CERT), pem(certs.get(0).getEncoded(), "CERTIFICATE"));
      writePrivate(tmp.resolve(NODE_CERT), pem(certs.get(1).getEncoded(), "CERTIFICATE"));
      writePrivate(tmp.resolve(NODE_KEY), pem(keys.get(0).getEncoded(), "PRIVATE KEY"));
      load(tmp); // checks the node certificate against the CA before anything is in place
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(tmp);
    }
    return load(dir);
  }

  // --- creation ---

  private static void writeNew(Path tmp) throws IOException {
    Files.createDirectory(tmp, posixDir(tmp.getParent()));
    KeyPair caKeys = newKeyPair();
    X509Certificate ca = caCertificate(caKeys);
    KeyPair nodeKeys = newKeyPair();
    X509Certificate node = nodeCertificate(nodeKeys, ca, caKeys.getPrivate());
    writePrivate(tmp.resolve(CA_KEY), pem(caKeys.getPrivate().getEncoded(), "PRIVATE KEY"));
    writePrivate(tmp.resolve(NODE_KEY), pem(nodeKeys.getPrivate().getEncoded(), "PRIVATE KEY"));
    writePrivate(tmp.resolve(CA_CERT), pem(encoded(ca), "CERTIFICATE"));
    writePrivate(tmp.resolve(NODE_CERT), pem(encoded(node), "CERTIFICATE"));
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JVM", e);
    }
  }

  private static X509Certificate caCertificate(KeyPair keys) throws IOException {
    X500Name name = new X500Name("CN=tokenbus cluster CA " + UUID.randomUUID() + ",O=tokenbus");
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(3600)),
          Date.from(now.plus(VALIDITY)), name, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return sign(b, keys.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot create the cluster CA: " + e.getMessage(), e);
    }
  }

  private static X509Certificate nodeCertificate(KeyPair keys, X509Certificate ca, PrivateKey caKey) throws IOException {
    X500Name subject = new X500Name("CN=tokenbus node " + UUID.randomUUID() + ",O=tokenbus");
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(now.minusSeconds(3600)),
          Date.from(now.plus(VALIDITY)), subject, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return sign(b, caKey);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot issue a node certificate: " + e.getMessage(), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  // --- files ---

  private static X509Certificate readCertificate(Path file) throws IOException {
    try (Reader in = Files.newBufferedReader(file); PEMParser parser = new PEMParser(in)) {
      Object o = parser.readObject();
      if (!(o instanceof X509CertificateHolder holder)) {
        throw new IOException(file + " holds no PEM certificate");
      }
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (Reader in = Files.newBufferedReader(file); PEMParser parser = new PEMParser(in)) {
      Object o = parser.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IOException(file + " holds no PEM private key (PKCS#8)");
      }
      return new JcaPEMKeyConverter().getPrivateKey(info);
    }
  }

  private static byte[] encoded(X509Certificate c) throws IOException {
    try {
      return c.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static String pem(byte[] der, String type) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new PemObject(type, der));
    }
    return out.toString();
  }

  /** Writes a new file that only its owner can read; an existing file is an error, never overwritten. */
  private static void writePrivate(Path file, String content) throws IOException {
    if (posix(file.toAbsolutePath().getParent())) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
    } else {
      Files.createFile(file);
    }
    Files.writeString(file, content);
  }

  private static void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    createPrivateDirectories(dir.getParent());
    try {
      Files.createDirectory(dir, posixDir(dir.getParent()));
    } catch (FileAlreadyExistsException e) {
      // made by another process meanwhile
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] posixDir(Path parent) {
    return posix(parent) ? new java.nio.file.attribute.FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_DIR)}
        : new java.nio.file.attribute.FileAttribute<?>[0];
  }

  private static boolean posix(Path p) {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // a leftover temporary directory is harmless
    }
  }
}

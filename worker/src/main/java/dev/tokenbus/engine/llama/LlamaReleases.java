package dev.tokenbus.engine.llama;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The registry of supported llama.cpp releases. A new release is its ABI class (an implementation of
 * {@link LlamaAbi} with its {@link LlamaRelease} as {@code RELEASE}) registered here; the build must
 * bundle its library where that release's locator looks (worker/pom.xml), or users give
 * {@code llama-library}.
 */
public final class LlamaReleases {

  /**
   * JVM-wide choice for {@code auto}: a system property, so that a whole test run can be repeated on
   * another release ({@code -Dtokenbus.llama.profile=b4916}).
   */
  public static final String SYSTEM_PROPERTY = "tokenbus.llama.profile";

  /** v0.5.0 (September 2026), bundled from npm: the default. */
  public static final LlamaRelease V050 = V050Abi.RELEASE;
  /** b4916 (March 2025), the build inside the {@code de.kherud:llama} jar: the fallback. */
  public static final LlamaRelease B4916 = B4916Abi.RELEASE;

  /** Every supported release, newest first: the fallback order of {@code auto}. The first is the default. */
  public static final List<LlamaRelease> ALL = List.of(V050, B4916);

  private LlamaReleases() {}

  /** The default release: the newest, which {@code auto} tries first. */
  public static LlamaRelease current() {
    return ALL.getFirst();
  }

  /**
   * Parses a {@code llama-profile} value: a release's name, {@code current} (the default release), or
   * {@code auto}/empty/null, which is null (the default, with fallback).
   *
   * @throws IllegalArgumentException naming the values allowed
   */
  public static LlamaRelease parse(String value) {
    if (value == null || value.isBlank() || value.equalsIgnoreCase("auto")) {
      return null;
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("current")) {
      return current();
    }
    for (LlamaRelease release : ALL) {
      if (release.name().equals(v)) {
        return release;
      }
    }
    throw new IllegalArgumentException("llama-profile must be auto, current, " + names(" or ") + ", got '" + value + "'");
  }

  /** The release the system property names, or null for auto. */
  public static LlamaRelease fromSystemProperty() {
    return parse(System.getProperty(SYSTEM_PROPERTY));
  }

  /** The releases' names joined, newest first: {@code v0.5.0 or b4916}. */
  static String names(String lastSeparator) {
    List<String> names = ALL.stream().map(LlamaRelease::name).toList();
    return names.size() == 1 ? names.getFirst()
        : names.subList(0, names.size() - 1).stream().collect(Collectors.joining(", ")) + lastSeparator + names.getLast();
  }

  /**
   * The release a library file is, by what it exports: the newest whose recognising export it has.
   *
   * @throws LlamaException it exports none of them, so it is no release tokenbus drives
   */
  static LlamaRelease recognise(Path library) {
    for (LlamaRelease release : ALL) {
      if (LlamaApi.exports(library, release.recognisingExport())) {
        return release;
      }
    }
    throw new LlamaException(library + " exports none of " + ALL.stream().map(LlamaRelease::recognisingExport).toList()
        + ": it is not a llama.cpp build that tokenbus supports (" + names(" or ") + ")");
  }
}

package dev.tokenbus.engine.llama;

import java.util.Locale;

/**
 * Which llama.cpp release (and so which C ABI) the worker drives. Configuration key
 * {@code llama-profile}; see {@link Llama#open(LlamaProfile, java.nio.file.Path)}.
 */
public enum LlamaProfile {
  /** The current release, v0.5.0 (September 2026) from the npm package {@code @node-llama-cpp/linux-x64}: the default. */
  CURRENT("v0.5.0"),
  /** b4916 (March 2025), the build inside {@code de.kherud:llama:4.2.0}: the fallback. */
  B4916("b4916");

  /**
   * JVM-wide choice for {@code auto}: a system property, so that a whole test run can be repeated on
   * the fallback ({@code -Dtokenbus.llama.profile=b4916}).
   */
  public static final String SYSTEM_PROPERTY = "tokenbus.llama.profile";

  private final String release;

  LlamaProfile(String release) {
    this.release = release;
  }

  /** The llama.cpp release name, which is also this profile's configuration value. */
  public String release() {
    return release;
  }

  /**
   * Parses a configuration value: {@code v0.5.0} (or {@code current}), {@code b4916}, or
   * {@code auto}/empty/null, which is null (the default, with fallback).
   */
  public static LlamaProfile parse(String value) {
    if (value == null || value.isBlank() || value.equalsIgnoreCase("auto")) {
      return null;
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    for (LlamaProfile p : values()) {
      if (p.release.equals(v) || p.name().toLowerCase(Locale.ROOT).equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException("llama-profile must be auto, v0.5.0 or b4916, got '" + value + "'");
  }

  /** The profile the system property names, or null for auto. */
  public static LlamaProfile fromSystemProperty() {
    return parse(System.getProperty(SYSTEM_PROPERTY));
  }

  @Override
  public String toString() {
    return release;
  }
}

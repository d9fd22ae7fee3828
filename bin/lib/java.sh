# Sourced by bin/tokenbus and bin/test: exports JAVA_HOME pointing at a JDK 25 or exits with a clear message.
tokenbus_find_java_home() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then
      major="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
      if [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
        echo "$candidate"
        return 0
      fi
    fi
  done
  return 1
}

if ! JAVA_HOME="$(tokenbus_find_java_home)"; then
  echo "tokenbus needs a JDK 25 (java.lang.foreign drives llama.cpp). Set JAVA_HOME to one, e.g. Temurin 25." >&2
  exit 1
fi
export JAVA_HOME
# Maven itself runs on this JDK; silence its own libraries' sun.misc.Unsafe warnings.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

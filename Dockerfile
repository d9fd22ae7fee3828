# tokenbus node image: build from source with Maven, run on a JRE 25.
#   docker build -t tokenbus .                          (CPU build of llama.cpp)
#   docker build -t tokenbus-cuda --build-arg MAVEN_PROFILES=cuda .   (CUDA build; see docker-compose.gpu.yml)
# The Maven build downloads llama.cpp v0.5.0 from the npm registry (worker/pom.xml, pinned by SHA-512).

FROM maven:3.9-eclipse-temurin-25 AS build
ARG MAVEN_PROFILES=
WORKDIR /src
COPY pom.xml ./
COPY common/pom.xml common/
COPY worker/pom.xml worker/
COPY gateway/pom.xml gateway/
COPY client/pom.xml client/
COPY launcher/pom.xml launcher/
# Dependencies first, so that a source change does not download them again.
RUN mvn -q -B dependency:go-offline -P "${MAVEN_PROFILES}" || true
COPY common common
COPY worker worker
COPY gateway gateway
COPY client client
COPY launcher launcher
# The AOT cache is made in the final stage, against the jar where it runs (it fits one path only).
RUN mvn -q -B -DskipTests -Dtokenbus.aot.skip=true -P "${MAVEN_PROFILES}" package

FROM eclipse-temurin:25-jre
# llama.cpp b4916 (the fallback) needs OpenMP; v0.5.0 needs only libstdc++.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/launcher/target/tokenbus.jar /app/tokenbus.jar
COPY conf /app/conf
# The JVM's ahead-of-time cache of /app/tokenbus.jar (classes loaded and linked, method profiles: fast
# from the first request), made here by the training run the Maven build makes bin/tokenbus's with
# (launcher/pom.xml). It fits only this jar at this path, so it is made in this stage; the llama.cpp
# libraries the run unpacked are removed (each start unpacks them where it runs).
RUN java @/app/conf/jvm.options -XX:AOTCacheOutput=/app/tokenbus.aot -jar /app/tokenbus.jar aot-train \
      > /tmp/aot-train.log 2>&1 || { tail -n 40 /tmp/aot-train.log; exit 1; }; \
    rm -rf /tmp/aot-train.log /root/.cache/tokenbus
ENV TOKENBUS_HOME=/app \
    TOKENBUS_MODEL_CACHE=/models \
    TOKENBUS_CLUSTER_HOST=auto
VOLUME /models
# The JVM's flags: conf/jvm.options, the one list bin/tokenbus and the tests use too; then the cache.
ENTRYPOINT ["java", "@/app/conf/jvm.options", "-XX:AOTCache=/app/tokenbus.aot", "-jar", "/app/tokenbus.jar"]
CMD ["standalone"]

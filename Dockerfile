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
RUN mvn -q -B -DskipTests -P "${MAVEN_PROFILES}" package

FROM eclipse-temurin:25-jre
# llama.cpp b4916 (the fallback) needs OpenMP; v0.5.0 needs only libstdc++.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/launcher/target/tokenbus.jar /app/tokenbus.jar
COPY conf /app/conf
ENV TOKENBUS_HOME=/app \
    TOKENBUS_MODEL_CACHE=/models \
    TOKENBUS_CLUSTER_HOST=auto
VOLUME /models
# The JVM's flags: conf/jvm.options, the one list bin/tokenbus and the tests use too.
ENTRYPOINT ["java", "@/app/conf/jvm.options", "-jar", "/app/tokenbus.jar"]
CMD ["standalone"]

package dev.tokenbus.gateway;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's package rule, checked on its compiled classes: {@code api → serve → dispatch →
 * protocol}, read left to right as "may use". The node's wiring ({@code dev.tokenbus.gateway}
 * itself) uses everything; {@code transport} (HTTP connections, WebSocket frames, timeouts) is used
 * by the wiring and the APIs; {@code json}, {@code grammar} and {@code toolcall} are leaves that
 * any layer may use and that use none. No two packages depend on each other in a cycle.
 */
class PackageRuleTest {

  private static JavaClasses gateway;

  @BeforeAll
  static void importClasses() {
    gateway = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tokenbus.gateway");
  }

  @Test
  void layersAreUsedOnlyFromAbove() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("node").definedBy("dev.tokenbus.gateway")
        .layer("api").definedBy("dev.tokenbus.gateway.api..")
        .layer("transport").definedBy("dev.tokenbus.gateway.transport..")
        .layer("serve").definedBy("dev.tokenbus.gateway.serve..")
        .layer("dispatch").definedBy("dev.tokenbus.gateway.dispatch..")
        .layer("leaves").definedBy("dev.tokenbus.gateway.json..", "dev.tokenbus.gateway.grammar..",
            "dev.tokenbus.gateway.toolcall..")
        .whereLayer("node").mayNotBeAccessedByAnyLayer()
        .whereLayer("api").mayOnlyBeAccessedByLayers("node")
        .whereLayer("transport").mayOnlyBeAccessedByLayers("node", "api")
        .whereLayer("serve").mayOnlyBeAccessedByLayers("node", "api", "transport")
        .whereLayer("dispatch").mayOnlyBeAccessedByLayers("node", "api", "serve")
        .check(gateway);
  }

  @Test
  void noPackagesDependOnEachOtherInACycle() {
    slices().matching("dev.tokenbus.gateway.(**)").should().beFreeOfCycles().check(gateway);
  }

  @Test
  void theApisDoNotUseEachOther() {
    slices().matching("dev.tokenbus.gateway.api.(*)..").should().notDependOnEachOther()
        .ignoreDependency(com.tngtech.archunit.base.DescribedPredicate.alwaysTrue(),
            com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage("dev.tokenbus.gateway.api"))
        .check(gateway);
  }
}

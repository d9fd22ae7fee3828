package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new report replaces the generated sections of docs/BENCHMARKS.md and keeps those measured by hand. */
class ReportKeepsHandMeasuredSectionsTest {

  @TempDir
  Path dir;

  @Test
  void theSectionsAfterTheMarkerAreKept() throws Exception {
    Path file = Files.writeString(dir.resolve("BENCHMARKS.md"), "# Benchmarks\n\n## Engine alone\n\nold figures\n\n"
        + BenchmarkReport.KEEP_MARKER + "\n\n## Against llama-server\n\nmeasured by hand\n");
    assertThat(BenchmarkReport.keptSections(file))
        .isEqualTo("\n" + BenchmarkReport.KEEP_MARKER + "\n\n## Against llama-server\n\nmeasured by hand\n")
        .doesNotContain("old figures");
  }

  @Test
  void aFileWithoutTheMarkerOrNoFileKeepsNothing() throws Exception {
    assertThat(BenchmarkReport.keptSections(Files.writeString(dir.resolve("a.md"), "# Benchmarks\n"))).isEmpty();
    assertThat(BenchmarkReport.keptSections(dir.resolve("absent.md"))).isEmpty();
  }

  @Test
  void theRepositorysReportHasTheMarkerBeforeItsHandMeasuredSections() throws Exception {
    Path benchmarks = Path.of("..", "docs", "BENCHMARKS.md");
    String kept = BenchmarkReport.keptSections(benchmarks);
    assertThat(kept).contains("## Against llama-server").contains("## TLS on the event bus")
        .doesNotContain("## Engine alone\n");
  }
}

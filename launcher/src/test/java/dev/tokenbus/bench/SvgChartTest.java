package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The SVG line chart: well-formed, a line and a legend entry per series, x on a log scale. */
class SvgChartTest {

  @Test
  void drawsALinePerSeriesWithALegendOnALogXAxis() throws Exception {
    SvgChart c = new SvgChart("Heap per stream", "workers (W)", "KB")
        .point("TLS N=100", 1, 10).point("TLS N=100", 10, 20).point("TLS N=100", 100, 40)
        .point("plain N=100", 1, 5).point("plain N=100", 100, Double.NaN).point("plain N=100", 10, 7);
    Document svg = parse(c.toSvg());

    NodeList lines = svg.getElementsByTagName("polyline");
    assertThat(lines.getLength()).isEqualTo(2);
    List<double[]> first = points((Element) lines.item(0));
    assertThat(first).hasSize(3);
    // Log scale: 10 lies half way between 1 and 100.
    assertThat(first.get(1)[0] - first.get(0)[0]).isCloseTo(first.get(2)[0] - first.get(1)[0],
        org.assertj.core.api.Assertions.within(0.2));
    // Linear y from 0: 20 is twice as far above the axis as 10, and 40 is highest (smallest y on screen).
    assertThat(first.get(2)[1]).isLessThan(first.get(1)[1]);
    assertThat(points((Element) lines.item(1))).as("the NaN point is left out").hasSize(2);
    assertThat(svg.getElementsByTagName("circle").getLength()).isEqualTo(5);

    List<String> texts = new ArrayList<>();
    NodeList t = svg.getElementsByTagName("text");
    for (int i = 0; i < t.getLength(); i++) {
      texts.add(t.item(i).getTextContent());
    }
    assertThat(texts).contains("Heap per stream", "TLS N=100", "plain N=100", "KB", "workers (W) (log scale)",
        "1", "10", "100");
  }

  @Test
  void aChartWithoutFinitePointsIsEmptyAndXMustBePositive() {
    assertThat(new SvgChart("t", "x", "y").point("a", 1, Double.NaN).isEmpty()).isTrue();
    assertThat(new SvgChart("t", "x", "y").point("a", 1, 0).isEmpty()).isFalse();
    assertThatThrownBy(() -> new SvgChart("t", "x", "y").point("a", 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logarithmic");
  }

  @Test
  void theYAxisEndsAtARoundNumberAndLabelsAreShort() {
    assertThat(SvgChart.niceCeiling(0.37)).isEqualTo(0.5);
    assertThat(SvgChart.niceCeiling(18.3)).isEqualTo(20);
    assertThat(SvgChart.niceCeiling(2.2)).isEqualTo(2.5);
    assertThat(SvgChart.niceCeiling(100)).isEqualTo(100);
    assertThat(SvgChart.number(10_000)).isEqualTo("10k");
    assertThat(SvgChart.number(0.25)).isEqualTo("0.25");
    assertThat(SvgChart.number(8)).isEqualTo("8");
  }

  @Test
  void textIsEscaped() throws Exception {
    Document svg = parse(new SvgChart("a < b & \"c\"", "x", "y").point("s", 1, 1).toSvg());
    assertThat(svg.getElementsByTagName("text").item(0).getTextContent()).isEqualTo("a < b & \"c\"");
  }

  private static Document parse(String svg) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<double[]> points(Element polyline) {
    List<double[]> out = new ArrayList<>();
    for (String p : polyline.getAttribute("points").trim().split("\\s+")) {
      String[] xy = p.split(",");
      out.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
    }
    return out;
  }
}

package numatp.cli.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Draws latency and bandwidth against message size, one series per algorithm, as one PNG. */
public final class AllReducePlot {
    private AllReducePlot() {
    }

    public static void write(List<AllReduceResult> results, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<AllReduceResult>> byAlgorithm = new LinkedHashMap<>();
        for (AllReduceResult r : results) {
            byAlgorithm.computeIfAbsent(r.algorithm(), k -> new ArrayList<>()).add(r);
        }
        XYChart latency = new XYChartBuilder().width(800).height(550).title(title + ": median latency")
                .xAxisTitle("bytes per rank").yAxisTitle("µs").build();
        XYChart bandwidth = new XYChartBuilder().width(800).height(550).title(title + ": algorithm bandwidth")
                .xAxisTitle("bytes per rank").yAxisTitle("GB/s").build();
        for (XYChart chart : List.of(latency, bandwidth)) {
            chart.getStyler().setXAxisLogarithmic(true);
            chart.getStyler().setYAxisLogarithmic(chart == latency);
            chart.getStyler().setMarkerSize(6);
        }
        for (Map.Entry<String, List<AllReduceResult>> e : byAlgorithm.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(AllReduceResult::bytes).toArray();
            latency.addSeries(e.getKey(), x, e.getValue().stream().mapToDouble(AllReduceResult::medianUs).toArray());
            bandwidth.addSeries(e.getKey(), x, e.getValue().stream().mapToDouble(AllReduceResult::algBwGBs).toArray());
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        String name = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
        BitmapEncoder.saveBitmap(List.of(latency, bandwidth), 1, 2, name, BitmapEncoder.BitmapFormat.PNG);
    }
}

using ByteFormer.Training;

namespace ByteFormer.Plotting;

/// <summary>PNG plots of a run (ScottPlot), written atomically.</summary>
public static class Plots
{
    private static readonly Lazy<bool> FontReady = new(RegisterFont);

    /// <summary>
    /// The Skia build without native dependencies cannot ask fontconfig for fonts, so text would not be drawn:
    /// register a TrueType file from the system (DejaVu Sans, Debian's fonts-dejavu-core, when present).
    /// </summary>
    private static bool RegisterFont()
    {
        const string preferred = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        var path = File.Exists(preferred) ? preferred
            : Directory.Exists("/usr/share/fonts") ? Directory.EnumerateFiles("/usr/share/fonts", "*.ttf", SearchOption.AllDirectories).FirstOrDefault() : null;
        if (path is null) return false;
        ScottPlot.Fonts.AddFontFile("ByteFormerPlots", path, false, false);
        var bold = path.Replace(".ttf", "-Bold.ttf");                               // axis labels are bold
        ScottPlot.Fonts.AddFontFile("ByteFormerPlots", File.Exists(bold) ? bold : path, true, false);
        ScottPlot.Fonts.Default = "ByteFormerPlots";
        ScottPlot.Fonts.Sans = "ByteFormerPlots";
        return true;
    }

    /// <summary>Loss and accuracy (train, test, EMA test) per epoch of a run's history, as a PNG at <paramref name="path"/>.</summary>
    public static void TrainingCurves(IReadOnlyList<EpochMetrics> history, string path)
    {
        _ = FontReady.Value;
        var plot = new ScottPlot.Plot();
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        var trainAcc = plot.Add.Scatter(epochs, history.Select(h => h.TrainAccuracy * 100).ToArray());
        trainAcc.LegendText = "train accuracy (augmented)";
        if (history.Any(h => h.TestAccuracy is not null))
        {
            var t = plot.Add.Scatter(epochs, history.Select(h => (h.TestAccuracy ?? double.NaN) * 100).ToArray());
            t.LegendText = "test accuracy";
        }
        if (history.Any(h => h.EmaTestAccuracy is not null))
        {
            var t = plot.Add.Scatter(epochs, history.Select(h => (h.EmaTestAccuracy ?? double.NaN) * 100).ToArray());
            t.LegendText = "test accuracy (EMA)";
        }
        plot.XLabel("epoch");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend();
        SavePng(plot, path, 800, 500);
    }

    /// <summary>A confusion matrix (rows: true class, columns: predicted) as a PNG heat map at <paramref name="path"/>.</summary>
    public static void ConfusionMatrix(int[][] confusion, IReadOnlyList<string> classes, string path)
    {
        int n = confusion.Length;
        var data = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            var total = Math.Max(1, confusion[i].Sum());
            for (var j = 0; j < n; j++) data[i, j] = 100.0 * confusion[i][j] / total;
        }
        _ = FontReady.Value;
        var plot = new ScottPlot.Plot();
        var heat = plot.Add.Heatmap(data);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heat);
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, classes.ToArray());
        plot.Axes.Left.SetTicks(ticks.Select(t => n - 1 - t).ToArray(), classes.ToArray());
        plot.XLabel("predicted");
        plot.YLabel("true (row %)");
        SavePng(plot, path, 900, 800);
    }

    /// <summary>Bars of test top-1 per run (raw and, where present, EMA weights), labelled by run.</summary>
    public static void AccuracyBars(IReadOnlyList<(string Label, double Top1, double? EmaTop1)> rows, string title, string path)
    {
        _ = FontReady.Value;
        var plot = new ScottPlot.Plot();
        var bars = new List<ScottPlot.Bar>();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < rows.Count; i++)
        {
            var (_, top1, ema) = rows[i];
            bars.Add(new ScottPlot.Bar { Position = 3 * i, Value = top1 * 100, FillColor = palette.GetColor(0), Label = $"{top1 * 100:F1}" });
            if (ema is { } e)
                bars.Add(new ScottPlot.Bar { Position = 3 * i + 1, Value = e * 100, FillColor = palette.GetColor(1), Label = $"{e * 100:F1}" });
        }
        var series = plot.Add.Bars(bars);
        series.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => 3.0 * i + 0.5).ToArray(), rows.Select(r => r.Label).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -20;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.UpperLeft;
        var min = rows.SelectMany(r => new[] { r.Top1, r.EmaTop1 ?? r.Top1 }).DefaultIfEmpty(0).Min() * 100;
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor(min / 10) * 10 - 10), 100);
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "test top-1, raw weights", FillColor = palette.GetColor(0) });
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "test top-1, EMA weights", FillColor = palette.GetColor(1) });
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.YLabel("test top-1 (%)");
        plot.Title(title);
        SavePng(plot, path, 160 * Math.Max(4, rows.Count) + 200, 560);
    }

    /// <summary>Accuracy curves against a damage or keep level: one line with markers per series, y in percent.</summary>
    public static void Curves(IReadOnlyList<(string Label, double[] X, double[] Y)> series, string title, string xLabel, string path)
    {
        _ = FontReady.Value;
        var plot = new ScottPlot.Plot();
        foreach (var (label, x, y) in series)
        {
            var line = plot.Add.Scatter(x, y.Select(v => v * 100).ToArray());
            line.LegendText = label;
            line.MarkerSize = 7;
        }
        plot.Axes.SetLimitsY(0, 100);
        plot.XLabel(xLabel);
        plot.YLabel("test top-1 (%)");
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        SavePng(plot, path, 800, 520);
    }

    private static void SavePng(ScottPlot.Plot plot, string path, int width, int height)
    {
        _ = FontReady.Value;
        var bytes = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}

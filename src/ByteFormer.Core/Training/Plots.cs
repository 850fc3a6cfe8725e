namespace ByteFormer.Training;

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

    private static void SavePng(ScottPlot.Plot plot, string path, int width, int height)
    {
        _ = FontReady.Value;
        var bytes = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}

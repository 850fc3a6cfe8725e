using ByteFormer.Training;
var h = new List<EpochMetrics> { new(1, 10, 1e-3, 1.2, 0.66, 99, 280, 700, 0.67, 0.74, 0.97, 350), new(2, 20, 9e-4, 1.0, 0.75, 99, 280, 980, 0.78, 0.80, 0.7, 350) };
Plots.TrainingCurves(h, "/tmp/curves.png");
var conf = Enumerable.Range(0, 10).Select(i => Enumerable.Range(0, 10).Select(j => i == j ? 90 : 1).ToArray()).ToArray();
conf[6][0] = 30;
Plots.ConfusionMatrix(conf, ByteFormer.Data.FashionMnist.ClassNames, "/tmp/conf.png");

using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Model;
using ByteFormer.Training;

namespace ByteFormer.Robustness;

/// <summary>Accuracy at one damage level: the byte model, and decode-then-classify where a pixel model is given.</summary>
/// <param name="Kind">How the files were damaged.</param>
/// <param name="Fraction">The damage level: the share of bytes kept (<see cref="DamageKind.Cut"/>) or changed (<see cref="DamageKind.Flip"/>).</param>
/// <param name="Files">Test files at this level.</param>
/// <param name="ByteModelTop1">The byte model's top-1 on the damaged files.</param>
/// <param name="BaselineTop1">Pixel model's top-1 over all files, a file the decoder refuses counting as wrong.</param>
/// <param name="DecodedShare">Share of damaged files the decoder turned into an image of the right size.</param>
public sealed record DamagePoint(DamageKind Kind, double Fraction, int Files, double ByteModelTop1, double? BaselineTop1, double? DecodedShare);

/// <summary>
/// The damaged-files experiment: test images encoded once, damaged at each level with a fixed seed,
/// classified from their bytes by the byte model and, for the baseline, decoded by a real decoder and
/// classified from pixels by a pixel model; the decoder's failures count as wrong answers.
/// </summary>
public static class DamageExperiment
{
    /// <summary>One <see cref="DamagePoint"/> per entry of <paramref name="damages"/>, in their order.</summary>
    /// <param name="byteModel">Classifies the damaged files from their bytes.</param>
    /// <param name="transforms">Byte transforms the byte model was trained through, applied to the damaged files (not to decoded pixels).</param>
    /// <param name="pixelModel">Classifies decoded gray pixels (HWC bytes); null skips the baseline, leaving its fields null.</param>
    /// <param name="test">Test images, all of the first image's size; each is encoded once with <paramref name="encoding"/>.</param>
    /// <param name="encoding">The file format the images are stored in and decoded from.</param>
    /// <param name="damages">The damage levels to measure.</param>
    /// <param name="seed">Fixes each file's damage (mixed with its index and the level) and the transforms' randomness.</param>
    /// <param name="progress">Receives each level's description before it is measured; may be null.</param>
    public static IReadOnlyList<DamagePoint> Run(ByteClassifier byteModel, ByteTransformPipeline transforms, ByteClassifier? pixelModel,
        LabeledImages test, ImageEncoding encoding, IReadOnlyList<FileDamage> damages, int seed = 0, Action<string>? progress = null)
    {
        var files = test.Images.Select(encoding.Encode).ToArray();
        var (width, height) = (test.Images[0].Width, test.Images[0].Height);
        var points = new List<DamagePoint>();
        foreach (var damage in damages)
        {
            progress?.Invoke(damage.ToString());
            var damaged = files.Select((f, i) => damage.Apply(f, new Random(Seeds.Mix(seed, i, (long)damage.Kind, (long)(damage.Fraction * 1e9))))).ToArray();
            var bytes = TransformedDataset.Wrap(new InMemoryDataset(damaged, test.Labels, test.ClassNames, "damaged"), transforms, seed);
            var byteTop1 = Evaluator.Evaluate(byteModel, bytes).Top1;
            double? baseline = null, decodedShare = null;
            if (pixelModel is not null)
            {
                var decoded = damaged.Select(d => ImageDecoder.TryDecodeGray(d, encoding, width, height)).ToArray();
                var kept = Enumerable.Range(0, decoded.Length).Where(i => decoded[i] is not null).ToArray();
                decodedShare = (double)kept.Length / files.Length;
                baseline = 0;
                if (kept.Length > 0)
                {
                    var pixels = new InMemoryDataset(kept.Select(i => decoded[i]!.Pixels).ToArray(), kept.Select(i => test.Labels[i]).ToArray(), test.ClassNames, "decoded");
                    var hits = Evaluator.Evaluate(pixelModel, pixels).Top1 * kept.Length;
                    baseline = hits / files.Length;
                }
            }
            points.Add(new DamagePoint(damage.Kind, damage.Fraction, files.Length, byteTop1, baseline, decodedShare));
        }
        return points;
    }
}

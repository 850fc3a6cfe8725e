using System.Reflection;
using ByteFormer.Inference;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Onnx;

/// <summary>
/// Writes a ByteFormer model as one ONNX model (opset 17): byte embedding and token reduction, positions, every
/// windowed block with its shift and masks, token merging, the final norm, pooling and the head, for any batch size
/// and byte length. The graph's one input is <c>tokens</c>, int64 [batch, length], each row a file's bytes (0..255)
/// right-padded with -1 to the batch's longest row and to at least the kernel size; its one output is
/// <c>logits</c>, float [batch, classes]. Each row's length is counted from its padding inside the graph, as the
/// TorchSharp model does, so no other input is needed. The model file's labels and input contract go to
/// <c>metadata_props</c> under the model file's own keys (<see cref="OnnxModelFormat"/>); byte transforms stay outside
/// the graph, applied by the predictor as for a model file.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graph uses (17: LayerNormalization).</summary>
    public const int Opset = 17;
    private const int IrVersion = 8;

    /// <summary>Writes <paramref name="loaded"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ByteFormerException">The model is not a ByteFormer (the pixel ViT has no ONNX export), or the file exists and <paramref name="overwrite"/> is false.</exception>
    public static void Export(LoadedModel loaded, string path, bool overwrite = false)
    {
        var bytes = ToBytes(loaded);
        try
        {
            AtomicFile.Write(path, s => s.Write(bytes), overwrite: overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            throw new ByteFormerException($"{path} exists; use --force to replace it");
        }
    }

    /// <summary>The serialized ModelProto of <paramref name="loaded"/>.</summary>
    /// <exception cref="ByteFormerException">The model is not a ByteFormer.</exception>
    public static byte[] ToBytes(LoadedModel loaded)
    {
        if (loaded.Model is not ByteFormerModel model)
            throw new ByteFormerException(
                $"{loaded.Source} is a {loaded.Model.Architecture} model; only ByteFormer models export to ONNX (the pixel ViT runs with TorchSharp only)");
        var graph = new OnnxGraph();
        using (NewDisposeScope())
        using (no_grad())
            new GraphWriter(graph, model).Build();
        // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.
        var proto = new ProtoWriter().Int(1, IrVersion).String(2, "byteformer")
            .String(3, typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0")
            .String(6, "ByteFormer: tokens int64 [batch, length] (bytes 0..255, right-padded with -1) to logits float [batch, classes]")
            .Message(7, graph.Write("byteformer", $"ByteFormer {model.Config.Mode}, {model.Config.Semantics.ToString().ToLowerInvariant()} semantics"))
            .Message(8, new ProtoWriter().String(1, "").Int(2, Opset));
        foreach (var (key, value) in MetadataOf(loaded, model))
            proto.Message(14, new ProtoWriter().String(1, key).String(2, value));
        return proto.ToArray();
    }

    /// <summary>The model file's metadata, its labels and what the predictor needs from its configuration.</summary>
    private static Dictionary<string, string> MetadataOf(LoadedModel loaded, ByteFormerModel model)
    {
        var metadata = new Dictionary<string, string>(loaded.Metadata)
        {
            [ModelMetadata.Format] = OnnxModelFormat.FormatValue,
            [ModelMetadata.Config] = model.ConfigJson(),
            [ModelMetadata.Labels] = System.Text.Json.JsonSerializer.Serialize(loaded.Labels),
            [OnnxModelFormat.ByteBudget] = model.ByteBudget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxModelFormat.MinimumBytes] = model.MinimumBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxModelFormat.AttentionSemantics] = model.Config.Semantics.ToString().ToLowerInvariant(),
            [OnnxModelFormat.PaddingChangesLogits] = model.PaddingChangesLogits ? "true" : "false",
            [OnnxModelFormat.ExportedFrom] = Path.GetFileName(loaded.Source),
        };
        return metadata;
    }

    /// <summary>Emits the network's nodes; one instance per export.</summary>
    private sealed class GraphWriter(OnnxGraph g, ByteFormerModel model)
    {
        private readonly ByteFormerConfig cfg = model.Config;
        private readonly Dictionary<string, Tensor> weights = model.state_dict();
        private readonly bool masked = model.Config.Semantics == AttentionSemantics.Masked;
        private string batchDim = "";                                                   // [1]: B

        /// <summary>The graph, for the stage's shared nodes.</summary>
        private OnnxGraph G => g;

        public void Build()
        {
            long c = cfg.EmbedDim, k = cfg.ConvKernelSize, s = cfg.ConvStride;
            g.Input(OnnxModelFormat.InputName, OnnxGraph.Int64, "batch", "length");
            batchDim = Dim(OnnxModelFormat.InputName, 0);
            var isPadding = g.Op("Less", [OnnxModelFormat.InputName, g.Scalar(0)]);
            var ids = g.Op("Where", [isPadding, g.Scalar(cfg.VocabSize - 1), OnnxModelFormat.InputName]);       // -1 -> padding row 256

            string? lengths = null;
            if (masked)
            {
                // Tokens made only of real bytes: floor((L - k) / s) + 1, at least 1.
                var real = g.Op("ReduceSum", [g.Op("Cast", [g.Op("Not", [isPadding])], ("to", (long)OnnxGraph.Int64)), g.Vec(1)], ("keepdims", 0L));
                var over = g.Op("Max", [g.Op("Sub", [real, g.Scalar(k)]), g.Scalar(0)]);
                lengths = g.Op("Add", [g.Op("Div", [over, g.Scalar(s)]), g.Scalar(1)]);        // [B]
            }

            var x = k == 2 * s ? FusedTokenReduction(ids) : EmbeddingConv(ids);                // [B, N1, C]
            if (cfg.Positions == PositionEncoding.Learned)
            {
                var n1 = Dim(x, 1);
                var positions = g.Op("Slice", [Weight("pos_embed.pos_embed.pos_embed", [cfg.MaxNumTokens, c]), g.Vec(0), n1, g.Vec(0)]);
                x = g.Op("Add", [x, positions]);
            }

            var stage = new Stage(this, Dim(x, 1), lengths);
            var carried = false;
            for (var i = 0; i < cfg.NTransformerLayers; i++)
            {
                // In masked semantics a block may hand the next one its windows' padded tokens, when both pad to the same
                // length: padding is never a key there and never reaches the pooling, so the Slice and Pad between them go.
                var keepPadded = masked && !cfg.Downsample[i] && i + 1 < cfg.NTransformerLayers && cfg.WindowSize(i + 1) == cfg.WindowSize(i);
                x = Block(x, stage, i, carried, keepPadded);
                carried = keepPadded;
                if (!cfg.Downsample[i]) continue;
                (x, lengths) = Merge(x, stage, $"downsamplers.downsample_{i}");
                stage = new Stage(this, Dim(x, 1), lengths);
            }
            x = SequenceNorm(x, "post_transformer_norm", stage.N);

            string pooled;
            if (lengths is null) pooled = g.Op("ReduceMean", [x], ("axes", new long[] { 1 }), ("keepdims", 0L));
            else
            {
                var valid = ValidMask(stage);                                                 // [B, N, 1] float
                var sum = g.Op("ReduceSum", [g.Op("Mul", [x, valid]), g.Vec(1)], ("keepdims", 0L));
                var count = g.Op("Cast", [g.Op("Unsqueeze", [lengths, g.Vec(1)])], ("to", (long)OnnxGraph.Float32));
                pooled = g.Op("Div", [sum, count]);
            }
            var logits = Linear(pooled, "classifier");
            g.OpNamed("Identity", [logits], OnnxModelFormat.OutputName);
            g.Output(OnnxModelFormat.OutputName, OnnxGraph.Float32, "batch", cfg.NClasses.ToString());
        }

        /// <summary>Embedding + Conv1d as look-ups (stride k/2): token t sums table rows of bytes t·s .. t·s + k - 1,
        /// that is the first half-table over chunk t and the second over chunk t + 1 of s bytes each.</summary>
        private string FusedTokenReduction(string ids)
        {
            long c = cfg.EmbedDim, k = cfg.ConvKernelSize, s = cfg.ConvStride, rows = cfg.VocabSize;
            var table = Model.FusedTokenReduction.BuildTable(weights["embeddings.weight"], weights["token_reduction_net.weight"]); // [k, 257, C]
            var flat = g.Floats("token_table", Data(table), k * rows, c);
            var n = Dim(ids, 1);
            var chunks = g.Op("Div", [n, g.Vec(s)]);                                          // M = floor(N / s) = N1 + 1
            var used = g.Op("Slice", [ids, g.Vec(0), g.Op("Mul", [chunks, g.Vec(s)]), g.Vec(1)]);
            var grouped = g.Op("Reshape", [used, g.Ints([0, -1, s])]);                         // [B, M, s]
            string HalfSum(long firstTap)
            {
                var offsets = g.Ints(Enumerable.Range(0, (int)s).Select(j => (firstTap + j) * rows).ToArray());
                var gathered = g.Op("Gather", [flat, g.Op("Add", [grouped, offsets])], ("axis", 0L)); // [B, M, s, C]
                return g.Op("ReduceSum", [gathered, g.Vec(2)], ("keepdims", 0L));               // [B, M, C]
            }
            var head = HalfSum(0);
            var tail = HalfSum(s);
            var n1 = g.Op("Sub", [chunks, g.Vec(1)]);
            return g.Op("Add", [
                g.Op("Slice", [head, g.Vec(0), n1, g.Vec(1)]),
                g.Op("Slice", [tail, g.Vec(1), chunks, g.Vec(1)])]);
        }

        /// <summary>The plain embedding then Conv1d, for a kernel that is not twice its stride.</summary>
        private string EmbeddingConv(string ids)
        {
            long c = cfg.EmbedDim, k = cfg.ConvKernelSize;
            var embedded = g.Op("Gather", [Weight("embeddings.weight", [cfg.VocabSize, c]), ids], ("axis", 0L)); // [B, N, C]
            var channelsFirst = g.Op("Transpose", [embedded], ("perm", new long[] { 0, 2, 1 }));
            var conv = g.Op("Conv", [channelsFirst, Weight("token_reduction_net.weight", [c, c, k])],
                ("kernel_shape", new[] { k }), ("strides", new long[] { cfg.ConvStride }));
            return g.Op("Transpose", [conv], ("perm", new long[] { 0, 2, 1 }));
        }

        /// <summary>
        /// What the blocks of one stage (between two merges) share: the running length N, and per window size the
        /// window length, padding and padded length Np, per shift the roll's indices and the attention mask. ONNX Runtime
        /// cannot merge these across blocks (each block's copy starts from another tensor's shape), and at one file a run
        /// each of its nodes costs about as much as a small GEMM, so they are made once here.
        /// </summary>
        private sealed class Stage(GraphWriter w, string n, string? lengths)
        {
            private readonly Dictionary<long, Geometry> geometries = [];
            private readonly Dictionary<(long, long), string> originals = [];
            private readonly Dictionary<(long, long, bool), string> backs = [];
            private readonly Dictionary<(long, long), string?> masks = [];
            private string? lengthsColumn, tokenPositions;

            /// <summary>The stage's token count, int64 [1].</summary>
            public string N { get; } = n;

            /// <summary>Each row's real tokens, int64 [B]; null in CoreNet semantics.</summary>
            public string? Lengths { get; } = lengths;

            /// <summary>The lengths as a column [B, 1], for comparing with positions.</summary>
            public string LengthsColumn => lengthsColumn ??= w.G.Op("Unsqueeze", [Lengths!, w.G.Vec(1)]);

            /// <summary>The positions 0 … N − 1 of the stage's (unpadded) tokens, int64 [N].</summary>
            public string TokenPositions => tokenPositions ??= w.G.Op("Range", [w.G.Scalar(0), w.ScalarOf(N), w.G.Scalar(1)]);

            public Geometry Of(long window)
            {
                if (geometries.TryGetValue(window, out var known)) return known;
                var g = w.G;
                // Masked semantics: a sequence shorter than its window is one window of its own length.
                var length = w.masked ? g.Op("Min", [N, g.Vec(window)]) : g.Vec(window);
                var pad = g.Op("Mod", [g.Op("Sub", [length, g.Op("Mod", [N, length])]), length]);
                var padded = g.Op("Add", [N, pad]);                                          // Np
                var paddedScalar = w.ScalarOf(padded);
                return geometries[window] = new Geometry(length, paddedScalar,
                    g.Op("Concat", [g.Ints([0, 0, 0, 0]), pad, g.Vec(0)], ("axis", 0L)),
                    g.Op("Concat", [g.Vec(-1), length, g.Ints([3 * w.cfg.NAttnHeads, w.cfg.HeadDim])], ("axis", 0L)),
                    g.Op("Range", [g.Scalar(0), paddedScalar, g.Scalar(1)]));
            }

            /// <summary>Position j of the rolled sequence holds original position (j + shift) mod Np: the gather
            /// indices of the roll left by the shift, and the positions the shifted-window mask is drawn from.</summary>
            public string Original(long window, long shift)
            {
                if (originals.TryGetValue((window, shift), out var known)) return known;
                var geometry = Of(window);
                return originals[(window, shift)] = shift == 0 ? geometry.Positions
                    : w.G.Op("Mod", [w.G.Op("Add", [geometry.Positions, w.G.Scalar(shift)]), geometry.PaddedScalar]);
            }

            /// <summary>The gather indices that roll back right by the shift: original position i is at rolled
            /// (i − shift) mod Np; the first N only when the padding is cut there.</summary>
            public string Back(long window, long shift, bool allPadded)
            {
                if (backs.TryGetValue((window, shift, allPadded), out var known)) return known;
                var g = w.G;
                var geometry = Of(window);
                var count = allPadded ? geometry.Positions : TokenPositions;
                var offset = g.Op("Sub", [geometry.PaddedScalar, g.Op("Mod", [g.Scalar(shift), geometry.PaddedScalar])]);
                return backs[(window, shift, allPadded)] = g.Op("Mod", [g.Op("Add", [count, offset]), geometry.PaddedScalar]);
            }

            /// <summary>The block's additive attention mask (null in CoreNet semantics).</summary>
            public string? Mask(long window, long shift)
            {
                if (masks.TryGetValue((window, shift), out var known)) return known;
                return masks[(window, shift)] = Lengths is null ? null : w.AttentionMask(this, window, shift);
            }
        }

        /// <summary>A window size's layout of the stage's tokens: window length L ([1]), padded length Np (a scalar),
        /// the Pad node's pads, the [b, L, 3h, d] shape of q|k|v, and the positions 0 … Np − 1.</summary>
        private sealed record Geometry(string Length, string PaddedScalar, string Pads, string QkvShape, string Positions);

        /// <summary>One transformer block on [B, N, C] (or, with <paramref name="inputPadded"/>, the previous block's
        /// [B, Np, C]); [B, N, C] out, or [B, Np, C] with <paramref name="keepPadded"/>.</summary>
        private string Block(string x, Stage stage, int layer, bool inputPadded, bool keepPadded)
        {
            long c = cfg.EmbedDim, window = cfg.WindowSize(layer), shift = cfg.WindowShifts[layer];
            var prefix = $"transformer.{layer}";
            var geometry = stage.Of(window);
            var xp = inputPadded ? x : g.Op("Pad", [x, geometry.Pads]);
            if (shift > 0) xp = g.Op("Gather", [xp, stage.Original(window, shift)], ("axis", 1L));   // rolled left by the shift
            // Tokens stay 2-D [B·Np, C] through the block, so that every linear layer is one MatMul + Add on a matrix,
            // which ONNX Runtime fuses into one Gemm; only attention sees the windows [B·nW, L, C].
            var tokens = g.Op("Reshape", [xp, g.Ints([-1, c])]);

            var mask = stage.Mask(window, shift);
            var h = g.Op("Add", [tokens, Attention(BlockNorm(tokens, $"{prefix}.pre_norm_mha.0", window), geometry, mask, $"{prefix}.pre_norm_mha.1", window)]);
            var hidden = Linear(BlockNorm(h, $"{prefix}.pre_norm_ffn.0", window), $"{prefix}.pre_norm_ffn.1");
            // GELU, exact erf form (the pattern ORT fuses into one Gelu node).
            var erf = g.Op("Erf", [g.Op("Div", [hidden, g.FloatScalar(MathF.Sqrt(2f))])]);
            var gelu = g.Op("Mul", [g.Op("Mul", [hidden, g.Op("Add", [erf, g.FloatScalar(1f)])]), g.FloatScalar(0.5f)]);
            h = g.Op("Add", [h, Linear(gelu, $"{prefix}.pre_norm_ffn.4")]);

            var y = g.Op("Reshape", [h, g.Op("Concat", [batchDim, g.Vec(-1), g.Vec(c)], ("axis", 0L))]); // [B, Np, C]
            // Back: rolled right by the shift, and cut to N unless the next block takes the padding, in one Gather.
            if (shift > 0) return g.Op("Gather", [y, stage.Back(window, shift, keepPadded)], ("axis", 1L));
            return keepPadded ? y : g.Op("Slice", [y, g.Vec(0), stage.N, g.Vec(1)]);
        }

        /// <summary>
        /// The additive mask of WindowPartition.AttentionMask (0 attend, a large negative number not): keys that are real
        /// tokens of the query's shifted-window segment. [B·nW, 1, L, L], or [B·nW, 1, 1, L] without a shift, where
        /// every window lies in one segment and only padded keys are masked. The large finite number in place of -inf
        /// gives the same softmax on every real query (exp underflows to 0 either way) and a finite one on a padding
        /// query whose keys are all masked, which the torch mask gets by letting each query see itself; here that costs
        /// no extra nodes, and on one core each node costs about a microsecond however small.
        /// </summary>
        private string AttentionMask(Stage stage, long window, long shift)
        {
            var geometry = stage.Of(window);
            var length = geometry.Length;
            var original = stage.Original(window, shift);                                     // [Np] original position
            var keyValid = g.Op("Less", [g.Op("Unsqueeze", [original, g.Vec(0)]), stage.LengthsColumn]); // [B, Np]
            string allowed;
            if (shift == 0)
                allowed = g.Op("Reshape", [keyValid, g.Op("Concat", [g.Ints([-1, 1, 1]), length], ("axis", 0L))]); // [B·nW, 1, 1, L]
            else
            {
                var segment = g.Op("Where", [g.Op("Less", [original, g.Scalar(shift)]), g.Scalar(-1),
                    g.Op("Div", [g.Op("Sub", [original, g.Scalar(shift)]), g.Scalar(window)])]);
                var seg = g.Op("Reshape", [segment, g.Op("Concat", [g.Vec(-1), length], ("axis", 0L))]); // [nW, L]
                var same = g.Op("Equal", [g.Op("Unsqueeze", [seg, g.Vec(2)]), g.Op("Unsqueeze", [seg, g.Vec(1)])]); // [nW, L, L]
                var keys = g.Op("Reshape", [keyValid, g.Op("Concat", [g.Ints([0, -1, 1]), length], ("axis", 0L))]); // [B, nW, 1, L]
                allowed = g.Op("Reshape", [g.Op("And", [g.Op("Unsqueeze", [same, g.Vec(0)]), keys]),
                    g.Op("Concat", [g.Ints([-1, 1]), length, length], ("axis", 0L))]);          // [B·nW, 1, L, L]
            }
            return g.Op("Where", [allowed, g.FloatScalar(0f), g.FloatScalar(MaskedScore)]);
        }

        /// <summary>Added to a masked score: far below any real one, and finite.</summary>
        private const float MaskedScore = -1e9f;

        /// <summary>A block's LayerNorm of tokens [B·Np, C]; in CoreNet semantics, where the window equals the width, its
        /// channel-first branch over each window's positions.</summary>
        private string BlockNorm(string tokens, string prefix, long window)
        {
            if (masked || window != cfg.EmbedDim) return LayerNorm(tokens, prefix);
            var windows = g.Op("Reshape", [tokens, g.Ints([-1, window, cfg.EmbedDim])]);
            return g.Op("Reshape", [ChannelFirstNorm(windows, prefix, null), g.Ints([-1, cfg.EmbedDim])]);
        }

        /// <summary>CoreNet's attention on the windows of tokens [B·Np, C] (windows of <paramref name="window"/> tokens): q, k, v from
        /// qkv_proj, softmax(q kᵀ / √d) v per head, out_proj; [B·Np, C] out.</summary>
        private string Attention(string x, Geometry geometry, string? mask, string prefix, long window)
        {
            long c = cfg.EmbedDim, heads = cfg.NAttnHeads, d = cfg.HeadDim;
            using var qkvWeight = weights[$"{prefix}.qkv_proj.weight"].clone();                  // [3C, C]: rows q | k | v
            using var qkvBias = weights[$"{prefix}.qkv_proj.bias"].clone();
            // The 1/√d scale goes into q's weights and bias once, instead of a Mul per call.
            var scale = 1.0 / Math.Sqrt(d);
            qkvWeight.narrow(0, 0, c).mul_(scale);
            qkvBias.narrow(0, 0, c).mul_(scale);
            var qkv = g.Op("Add", [
                g.Op("MatMul", [x, g.Floats(g.Fresh(prefix + ".qkv.weight_t"), Data(qkvWeight.t()), c, 3 * c)]),
                g.Floats(g.Fresh(prefix + ".qkv.bias"), Data(qkvBias), 3 * c)]);                   // [B·Np, 3C]
            var split = g.Op("Reshape", [qkv, geometry.QkvShape]);                               // [b, L, 3h, d]
            var perHead = g.Op("Transpose", [split], ("perm", new long[] { 0, 2, 1, 3 }));         // [b, 3h, L, d]: q heads | k | v
            var parts = g.OpN("Split", [perHead], 3, ("axis", 1L));                             // 3 × [b, h, L, d]
            var (q, keys, v) = (parts[0], parts[1], parts[2]);
            var scores = g.Op("MatMul", [q, g.Op("Transpose", [keys], ("perm", new long[] { 0, 1, 3, 2 }))]); // [b, h, L, L]
            if (cfg.Positions == PositionEncoding.Relative) scores = g.Op("Add", [scores, RelativeBias(prefix, window, geometry.Length)]);
            if (mask is not null) scores = g.Op("Add", [scores, mask]);
            var attended = g.Op("MatMul", [g.Op("Softmax", [scores], ("axis", -1L)), v]);         // [b, h, L, d]
            var joined = g.Op("Reshape", [g.Op("Transpose", [attended], ("perm", new long[] { 0, 2, 1, 3 })), g.Ints([-1, c])]);
            return Linear(joined, $"{prefix}.out_proj");
        }

        /// <summary>The relative position bias of a window of <paramref name="length"/> tokens, [h, L, L]: the table gathered
        /// once at export into the full window's [h, w, w] (entry i, j is offset i − j), of which a shorter window is the
        /// top-left corner.</summary>
        private string RelativeBias(string prefix, long window, string length)
        {
            var table = weights[$"{prefix}.relative_position_bias"];                           // [h, 2w − 1]
            using var offsets = tensor(MultiHeadAttention.RelativeIndex(window, window), dtype: int64);
            using var full = table.index_select(1, offsets).view(cfg.NAttnHeads, window, window);
            var name = g.Floats(g.Fresh(prefix + ".relative_bias"), Data(full), cfg.NAttnHeads, window, window);
            var corner = g.Op("Concat", [length, length], ("axis", 0L));
            return g.Op("Slice", [name, g.Ints([0, 0]), corner, g.Ints([1, 2])]);
        }

        /// <summary>Token merging: neighbours side by side, Linear(2C, C) and LayerNorm; masked padding zeroed first.</summary>
        private (string, string?) Merge(string x, Stage stage, string prefix)
        {
            long c = cfg.EmbedDim;
            var lengths = stage.Lengths;
            if (lengths is not null) x = g.Op("Mul", [x, ValidMask(stage)]);
            var odd = g.Op("Mod", [stage.N, g.Vec(2)]);
            x = g.Op("Pad", [x, g.Op("Concat", [g.Ints([0, 0, 0, 0]), odd, g.Vec(0)], ("axis", 0L))]);
            var pairs = g.Op("Reshape", [x, g.Ints([0, -1, 2 * c])]);                            // [B, N/2, 2C]: token 2j | token 2j+1
            // CoreNet's unfold interleaves the pair by channel (column 2c + t); the plain reshape puts token t's
            // channel c at t·C + c, so the weight's columns are reordered once here instead of the tokens every call.
            var w = weights[$"{prefix}.reduction.weight"];                                    // [C, 2C]
            using var reordered = w.view(c, c, 2).permute(0, 2, 1).reshape(c, 2 * c);              // [C, 2C] plain layout
            var merged = g.Op("MatMul", [pairs, g.Floats(g.Fresh(prefix + ".reduction.weight_t"), Data(reordered.t()), 2 * c, c)]);
            merged = SequenceNorm(merged, $"{prefix}.norm", null);
            if (lengths is null) return (merged, null);
            return (merged, g.Op("Div", [g.Op("Add", [lengths, g.Scalar(1)]), g.Scalar(2)]));
        }

        /// <summary>
        /// LayerNorm of a whole sequence [B, N, C]; in CoreNet semantics its channel-first branch is taken when N equals
        /// C, which only the running length decides, so both are computed and one is chosen.
        /// </summary>
        private string SequenceNorm(string x, string prefix, string? knownLength)
        {
            var plain = LayerNorm(x, prefix);
            if (masked) return plain;
            var n = knownLength ?? Dim(x, 1);
            var quirk = ChannelFirstNorm(x, prefix, n);
            return g.Op("Where", [g.Op("Equal", [n, g.Vec(cfg.EmbedDim)]), quirk, plain]);
        }

        private string LayerNorm(string x, string prefix) => g.Op("LayerNormalization",
            [x, Weight($"{prefix}.weight", [cfg.EmbedDim]), Weight($"{prefix}.bias", [cfg.EmbedDim])],
            ("axis", -1L), ("epsilon", 1e-5f));

        /// <summary>
        /// CoreNet's channel-first LayerNorm over axis 1: (x - mean) / (std + eps) · w + b, the biased std, w and b along
        /// axis 1. With <paramref name="n"/> (the running length) it stays shape-valid for any length, clamping the
        /// weight index, since it is computed even where it is not chosen.
        /// </summary>
        private string ChannelFirstNorm(string x, string prefix, string? n)
        {
            var mean = g.Op("ReduceMean", [x], ("axes", new long[] { 1 }), ("keepdims", 1L));
            var centred = g.Op("Sub", [x, mean]);
            var std = g.Op("Sqrt", [g.Op("ReduceMean", [g.Op("Mul", [centred, centred])], ("axes", new long[] { 1 }), ("keepdims", 1L))]);
            var normed = g.Op("Div", [centred, g.Op("Add", [std, g.FloatScalar(1e-5f)])]);
            string AlongAxis1(string name)
            {
                var v = Weight(name, [cfg.EmbedDim]);
                if (n is not null)
                {
                    var index = g.Op("Min", [g.Op("Range", [g.Scalar(0), ScalarOf(n), g.Scalar(1)]), g.Scalar(cfg.EmbedDim - 1)]);
                    v = g.Op("Gather", [v, index], ("axis", 0L));
                }
                return g.Op("Unsqueeze", [v, g.Vec(1)]);                                        // [N, 1]
            }
            return g.Op("Add", [g.Op("Mul", [normed, AlongAxis1($"{prefix}.weight")]), AlongAxis1($"{prefix}.bias")]);
        }

        private string Linear(string x, string prefix)
        {
            var w = weights[$"{prefix}.weight"];                                                  // [out, in]
            var product = g.Op("MatMul", [x, g.Floats(g.Fresh(prefix + ".weight_t"), Data(w.t()), w.shape[1], w.shape[0])]);
            return weights.ContainsKey($"{prefix}.bias") ? g.Op("Add", [product, Weight($"{prefix}.bias", [w.shape[0]])]) : product;
        }

        /// <summary>[B, N, 1] float, 1 for the first lengths[b] positions of row b.</summary>
        private string ValidMask(Stage stage)
        {
            var valid = g.Op("Less", [g.Op("Unsqueeze", [stage.TokenPositions, g.Vec(0)]), stage.LengthsColumn]);
            return g.Op("Cast", [g.Op("Unsqueeze", [valid, g.Vec(2)])], ("to", (long)OnnxGraph.Float32));
        }

        private readonly Dictionary<string, string> written = [];

        /// <summary>A weight as an initializer of <paramref name="dims"/>, written once whatever the uses.</summary>
        private string Weight(string name, long[] dims)
        {
            if (written.TryGetValue(name, out var existing)) return existing;
            written[name] = g.Floats(name, Data(weights[name]), dims);
            return name;
        }

        /// <summary>Dimension <paramref name="axis"/> of <paramref name="x"/> as an int64 [1].</summary>
        private string Dim(string x, long axis) => g.Op("Shape", [x], ("start", axis), ("end", axis + 1));

        /// <summary>A [1] int64 as a scalar (Range takes scalars).</summary>
        private string ScalarOf(string vector) => g.Op("Squeeze", [vector, g.Vec(0)]);

        private static float[] Data(Tensor t) => t.contiguous().data<float>().ToArray();
    }
}

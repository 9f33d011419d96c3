// Marian's own transformer variant read from Marian's binary format — the Firefox
// Translations "tiny" students (docs/architecture.md) — modelled on marian-dev
// src/models/transformer.h (post-norm "dan" blocks, `addPositionalEmbeddings`,
// `DecoderLayerRNN`, tied output layer), src/rnn/cells.h (`SSRU`),
// src/tensors/cpu/tensor_operators.cpp (`SinusoidalPositionEmbeddings`, `HighwayForward`)
// and src/layers/generic.h (`layerNorm`, ε = 1e-6).
//
// The encoder is the generic one (post-norm, ReLU FFN, embeddings × sqrt(D) plus Marian's
// sinusoids). The decoder replaces self-attention by an SSRU, whose per-row cell state is
// the whole decoder cache: step t (x = the layer input [R, D]):
//     f = σ(x·Wf + bf),  c_t = f ⊙ c_{t-1} + (1 − f) ⊙ (x·W),  out = LN(relu(c_t) + x)
// then cross-attention and the FFN as in the generic decoder, then logits = h·Wembᵀ + b.
// Decoding starts from a zero embedding (no start token), c_0 = 0.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// The settings of a Marian translation folder's decoder config (`config.*.yml`).
public struct MarianDecodingOptions: Sendable, Equatable {
    /// Beam size (`beam-size`).
    public var beamSize: Int = 1
    /// Length normalization exponent (`normalize`).
    public var normalize: Float = 1
    /// Maximum output length as a multiple of the source length (`max-length-factor`).
    public var maxLengthFactor: Float = 3
    /// The `gemm-precision` the folder was made for (informational).
    public var gemmPrecision: String?

    /// Marian's defaults (beam 1 here, as the Firefox configs set it).
    public init() {}

    /// Most beams a config may ask for (the generation layer's `GenerationConfig.maximumBeams`).
    static let maximumBeams = 1024

    /// Throws `ModelFileError` naming `path` when a setting cannot be used.
    func validate(path: String) throws {
        guard (1...Self.maximumBeams).contains(beamSize) else {
            throw ModelFileError(path, "'beam-size' is \(beamSize), outside 1...\(Self.maximumBeams)")
        }
        guard normalize.isFinite else { throw ModelFileError(path, "'normalize' is \(normalize), not a finite number") }
        guard maxLengthFactor.isFinite, maxLengthFactor > 0, maxLengthFactor <= 1000 else {
            throw ModelFileError(path, "'max-length-factor' is \(maxLengthFactor), outside (0, 1000]")
        }
    }
}

/// A Marian transformer with an SSRU decoder, loaded from a Marian `.bin` model.
///
///     let model = try MarianNativeModel(directory: URL(fileURLWithPath: "models/firefox/enpt"))
///     let source = [38, 824, 167, 5344, 12, 6, 4043, 3, 0]   // ids ending with </s>
///     let decoder = model.makeDecoder(for: try model.encode([source]), sources: [source], useShortlist: true)
///     try decoder.begin(rowsPerSource: 1)
///     let logits = try decoder.step(tokens: [0])   // [R, V]; the first step's token is ignored
public final class MarianNativeModel: @unchecked Sendable {
    /// The architecture (the decoder fields describe the FFN and cross-attention; there is
    /// no decoder self-attention).
    public let spec: TransformerSpec
    /// The decoder config of the folder.
    public let options: MarianDecodingOptions
    /// The lexical shortlist of the folder, when it has one.
    public let shortlist: MarianShortlist?
    /// The `.bin` file the weights came from.
    public let weightsPath: String
    /// The end-of-sentence id (`</s>`, 0 in Marian vocabularies).
    public let eosTokenId = 0
    /// The unknown-word id, never generated (Marian's default without `--allow-unk`).
    public let unknownTokenId = 1

    /// The generic encoder (its decoder stack is empty) and the shared blocks.
    let base: EncoderDecoderModel
    let layers: [SSRUDecoderLayer]
    /// Wemb [V, D] dequantized and packed: the tied output layer, whose rows are also the
    /// embeddings (one copy).
    var outputLayer: PackedMatrix { base.weights.lmHead }
    /// `decoder_ff_logit_out_b` [V].
    let outputBias: Tensor
    /// Marian's sinusoids [P, D].
    let positions: Tensor

    /// Loads a Marian folder: a `config.*.yml` naming the model `.bin` (and optionally a
    /// shortlist), or a folder holding one `*.bin` model. Throws `ModelFileError`.
    public convenience init(directory: URL, computeType: ComputeType = .float32) throws {
        let files = try MarianFolder(directory: directory)
        try self.init(modelPath: files.model, shortlistPath: files.shortlist, options: files.options, computeType: computeType)
    }

    /// Loads the model `.bin` at `modelPath`, with an optional binary shortlist.
    /// `computeType` says how the linear layers' weights are kept: `int8` runs intgemm8 matrices'
    /// values as stored (one scale for every row of a matrix) and quantizes float32 ones per row.
    public init(modelPath: String, shortlistPath: String? = nil, options: MarianDecodingOptions = .init(),
                computeType: ComputeType = .float32) throws {
        let file = try MarianBinaryFile(path: modelPath)
        guard let yamlText = file.text("special:model.yml") else {
            throw ModelFileError(modelPath, "no 'special:model.yml' item: cannot tell the architecture")
        }
        let config = try MarianYAML(text: yamlText, path: modelPath + " (special:model.yml)")
        spec = try Self.spec(config, path: modelPath)
        var reader = MarianWeightReader(file: file, computeType: computeType)
        let built = try Self.build(spec: spec, reader: &reader)
        try reader.checkAllUsed()
        releaseFreedMemory()
        base = built.0
        layers = built.1
        outputBias = built.2
        positions = built.3
        shortlist = try shortlistPath.map { try MarianShortlist(path: $0) }
        self.options = options
        weightsPath = modelPath
    }

    /// Vocabulary size V.
    public var vocabularySize: Int { spec.vocabularySize }

    /// Numbers stored in the model file (every item but the config).
    public var parameterCount: Int { base.parameterCount }

    /// The stored element types of the weights (`F32`, `intgemm8`, …).
    public var weightDTypes: Set<String> { base.sourceDTypes }

    /// Runs the encoder over `sources` (ids ending with `</s>`) → memory [B, S, D].
    public func encode(_ sources: [[Int]]) throws -> EncoderOutput { try base.encode(sources) }

    /// A decoder bound to `encoded`; with `useShortlist` (and a shortlist loaded) the logits
    /// outside the sources' shortlist are −∞ and are not computed.
    ///
    /// Several sources decode together over the union of their shortlists (one output
    /// product), each row still restricted to its own source's list — so a sentence gets the
    /// same logits in a batch as alone.
    public func makeDecoder(for encoded: EncoderOutput, sources: [[Int]] = [], useShortlist: Bool = false) -> MarianSSRUDecoder {
        guard useShortlist, !sources.isEmpty, let shortlist else {
            return MarianSSRUDecoder(model: self, encoded: encoded, allowedTargets: nil, sourceColumns: nil)
        }
        let own = sources.map { shortlist.allowedTargets(source: $0, targetVocabulary: vocabularySize) }
        guard own.count > 1 else { return MarianSSRUDecoder(model: self, encoded: encoded, allowedTargets: own[0], sourceColumns: nil) }
        let union = Array(Set(own.joined())).sorted()
        let column = Dictionary(uniqueKeysWithValues: union.enumerated().map { ($1, $0) })
        return MarianSSRUDecoder(model: self, encoded: encoded, allowedTargets: union,
                                 sourceColumns: own.map { $0.compactMap { column[$0] } })
    }

    /// Cross-attention weights [T, S] of `target` (the ids after the start, as `translate`
    /// returns them) over `source`: row t is the distribution the decoder used when
    /// predicting target[t], from decoder layer `layer` (negative counts from the end),
    /// averaged over heads.
    public func crossAttention(source: [Int], target: [Int], layer: Int = -1) throws -> [[Float]] {
        let l = layer < 0 ? spec.decoderLayers + layer : layer
        guard l >= 0 && l < spec.decoderLayers else {
            throw ModelError("attention layer \(layer) outside the decoder's \(spec.decoderLayers) layers")
        }
        let decoder = makeDecoder(for: try encode([source]))
        decoder.captureCrossAttentionLayer = l
        try decoder.begin(rowsPerSource: 1)
        let heads = spec.heads, s = source.count
        return try ([eosTokenId] + target.dropLast()).map { token in
            _ = try decoder.step(tokens: [token])
            guard let w = decoder.capturedCrossAttention else { return [] }
            return (0..<s).map { j in (0..<heads).reduce(Float(0)) { $0 + w.data[$1 * s + j] } / Float(heads) }
        }
    }

    // MARK: - Building

    static func spec(_ c: MarianYAML, path: String) throws -> TransformerSpec {
        func expect(_ key: String, _ allowed: [String], default value: String) throws {
            let actual = c.string(key) ?? value
            guard allowed.contains(actual) else {
                throw ModelFileError(path, "unsupported \(key) '\(actual)' (supported: \(allowed.map { "'\($0)'" }.joined(separator: ", ")))")
            }
        }
        try expect("type", ["transformer"], default: "")
        try expect("transformer-decoder-autoreg", ["rnn"], default: "self-attention")
        try expect("dec-cell", ["ssru"], default: "")
        try expect("transformer-preprocess", [""], default: "")
        try expect("transformer-postprocess", ["dan"], default: "dan")
        try expect("transformer-postprocess-emb", ["d", ""], default: "d")
        try expect("transformer-postprocess-top", [""], default: "")
        try expect("transformer-ffn-activation", ["relu"], default: "swish")
        guard try c.int("transformer-ffn-depth") ?? 2 == 2 else { throw ModelFileError(path, "only transformer-ffn-depth 2 is supported") }
        guard try c.bool("tied-embeddings-all") == true else { throw ModelFileError(path, "only tied-embeddings-all models are supported") }
        if try c.bool("transformer-train-position-embeddings") == true {
            throw ModelFileError(path, "learned position embeddings are not supported")
        }
        let d = try c.requiredInt("dim-emb"), heads = try c.requiredInt("transformer-heads")
        guard d % heads == 0, d % 2 == 0 else { throw ModelFileError(path, "dim-emb \(d) is not a multiple of \(heads) heads") }
        let vocabularies = try (c.lists["dim-vocabs"] ?? []).map { s -> Int in
            guard let v = Int(s), v > 0 else { throw ModelFileError(path, "dim-vocabs entry '\(s)' is not a size") }
            return v
        }
        guard vocabularies.count == 2, vocabularies[0] == vocabularies[1] else {
            throw ModelFileError(path, "tied embeddings need one shared vocabulary, dim-vocabs is \(vocabularies)")
        }
        return TransformerSpec(
            modelWidth: d, heads: heads, headWidth: d / heads, ffnWidth: try c.requiredInt("transformer-dim-ffn"),
            encoderLayers: try c.requiredInt("enc-depth"), decoderLayers: try c.requiredInt("dec-depth"),
            vocabularySize: vocabularies[1], norm: .layerNorm(epsilon: 1e-6), preNorm: false, finalNorm: false,
            embeddingNorm: false, activation: .relu, gatedFFN: false, biases: true, embeddingScale: Float(d).squareRoot(),
            positions: .sinusoidal, maxPositions: maxPositions, relativeBias: nil,
            attentionScale: 1 / Float(d / heads).squareRoot(), outputScale: 1, finalLogitsBias: true)
    }

    /// Positions the sinusoid table holds (Marian's sinusoids are unbounded; inputs are
    /// split into sentences long before this).
    static let maxPositions = 1024

    private static func build(spec s: TransformerSpec, reader r: inout MarianWeightReader) throws
        -> (EncoderDecoderModel, [SSRUDecoderLayer], Tensor, Tensor) {
        let d = s.modelWidth, v = s.vocabularySize
        let wemb = try r.rows("Wemb", rows: v, width: d)
        let head = r.storage == .int8
            ? PackedMatrix(int8Rows: v, inFeatures: d) { wemb.write(rows: 0, to: $0) }
            : withExtendedLifetime(wemb.floats) { PackedMatrix(weight: $0.data, outFeatures: v, inFeatures: d, storage: r.storage) }
        let table = EmbeddingTable(packed: head)
        let positions = marianSinusoids(positions: maxPositions, width: d)
        let encoderLayers = try (1...s.encoderLayers).map { try encoderLayer(r: &r, prefix: "encoder_l\($0)", spec: s) }
        let decoderLayers = try (1...s.decoderLayers).map { try decoderLayer(r: &r, prefix: "decoder_l\($0)", spec: s) }
        let bias = try r.vector("decoder_ff_logit_out_b", v)
        let weights = ModelWeights(
            encoder: StackWeights(embeddings: table, positions: positions, embeddingNorm: nil, layers: encoderLayers,
                                  finalNorm: nil, relativeBias: nil),
            decoder: StackWeights(embeddings: table, positions: positions, embeddingNorm: nil, layers: [],
                                  finalNorm: nil, relativeBias: nil),
            lmHead: head, finalLogitsBias: bias)
        let model = EncoderDecoderModel(family: "marian-ssru", spec: s, weights: weights, parameterCount: r.parameterCount,
                                        sourceDTypes: r.dtypes)
        return (model, decoderLayers, bias, positions)
    }

    /// A linear layer stacking `prefix_W<name>` [D, out] with bias `prefix_b<name>` for each name.
    private static func linear(r: inout MarianWeightReader, prefix p: String, _ names: [String], in k: Int, out n: Int) throws -> Linear {
        Linear(stackingParts: try names.map { (weight: try r.matrix("\(p)_W\($0)", in: k, out: n), bias: Optional(try r.vector("\(p)_b\($0)", n))) },
               storage: r.storage)
    }

    private static func feedForward(r: inout MarianWeightReader, prefix p: String, spec s: TransformerSpec) throws -> FeedForwardWeights {
        let d = s.modelWidth, f = s.ffnWidth
        return FeedForwardWeights(input: try linear(r: &r, prefix: p, ["1"], in: d, out: f), up: nil,
                                  output: try linear(r: &r, prefix: p, ["2"], in: f, out: d), norm: try r.norm("\(p)_ffn_ln", d))
    }

    private static func encoderLayer(r: inout MarianWeightReader, prefix: String, spec s: TransformerSpec) throws -> EncoderLayerWeights {
        let d = s.modelWidth, p = "\(prefix)_self"
        let attention = SelfAttentionWeights(qkv: try linear(r: &r, prefix: p, ["q", "k", "v"], in: d, out: d),
                                             output: try linear(r: &r, prefix: p, ["o"], in: d, out: d),
                                             norm: try r.norm("\(p)_Wo_ln", d))
        return EncoderLayerWeights(attention: attention, ffn: try feedForward(r: &r, prefix: "\(prefix)_ffn", spec: s))
    }

    private static func decoderLayer(r: inout MarianWeightReader, prefix: String, spec s: TransformerSpec) throws -> SSRUDecoderLayer {
        let d = s.modelWidth, p = "\(prefix)_context"
        let ssru = Linear(stackingParts: [(try r.matrix("\(prefix)_rnn_W", in: d, out: d), nil),
                                          (try r.matrix("\(prefix)_rnn_Wf", in: d, out: d), try r.vector("\(prefix)_rnn_bf", d))],
                          storage: r.storage)
        let crossAttention = CrossAttentionWeights(query: try linear(r: &r, prefix: p, ["q"], in: d, out: d),
                                                   keyValue: try linear(r: &r, prefix: p, ["k", "v"], in: d, out: d),
                                                   output: try linear(r: &r, prefix: p, ["o"], in: d, out: d),
                                                   norm: try r.norm("\(p)_Wo_ln", d))
        return SSRUDecoderLayer(ssru: ssru, ssruNorm: try r.norm("\(prefix)_rnn_ffn_ln", d), crossAttention: crossAttention,
                                ffn: try feedForward(r: &r, prefix: "\(prefix)_ffn", spec: s))
    }
}

/// One SSRU decoder block: the SSRU (W and Wf stacked: x·[W | Wf] + [0 | bf]), its norm,
/// cross-attention, feed-forward.
struct SSRUDecoderLayer {
    let ssru: Linear
    let ssruNorm: Norm
    let crossAttention: CrossAttentionWeights
    let ffn: FeedForwardWeights
}

/// Marian's sinusoids [P, D] (`SinusoidalPositionEmbeddings`), in float32 as Marian computes
/// them: with n = D/2 and inc = ln(10000)/(n − 1), row p holds sin(p·e^(−i·inc)) at i < n and
/// cos(p·e^(−(i−n)·inc)) at n + i.
func marianSinusoids(positions: Int, width: Int) -> Tensor {
    let table = Tensor(zeros: [positions, width])
    let n = width / 2
    let increment = Float(log(10000.0)) / (Float(n) - 1)
    for p in 0..<positions {
        for i in 0..<width {
            let v = Float(p) * expf(Float(i % n) * -increment)
            table.data[p * width + i] = i < n ? sinf(v) : cosf(v)
        }
    }
    return table
}

/// Strict reading of Marian items: shapes checked, every item used except the activation
/// multipliers (`*_QuantMultA`) and the config text.
struct MarianWeightReader {
    let file: MarianBinaryFile
    private(set) var used: Set<String> = []
    private(set) var parameterCount = 0
    private(set) var dtypes: Set<String> = []

    /// How the linear layers' weights are stored (the compute type).
    let storage: PackedMatrix.Storage

    init(file: MarianBinaryFile, computeType: ComputeType) {
        self.file = file
        storage = computeType.weightStorage
    }

    private mutating func item(_ name: String, shapes: [[Int]]) throws -> MarianItem {
        guard let item = file.item(name) else { throw ModelFileError(file.path, "missing item '\(name)' (expected shape \(shapes[0]))") }
        guard shapes.contains(item.shape) else {
            throw ModelFileError(file.path, "item '\(name)' has shape \(item.shape), expected \(shapes[0])")
        }
        used.insert(name)
        parameterCount += item.elements
        dtypes.insert(item.type == .intgemm8 ? "I8" : "F32")
        return item
    }

    /// A projection stored as Marian's [K, N] parameter (x·W), returned as W [N, K]:
    /// intgemm8 items are stored transposed already; float32 items are transposed here.
    mutating func matrix(_ name: String, in k: Int, out n: Int) throws -> WeightPart {
        let item = try item(name, shapes: [[k, n]])
        if item.type == .intgemm8 { return try int8Part(item, rows: n, columns: k) }
        let values = try file.floats(name)
        let w = Tensor(zeros: [n, k])
        for i in 0..<k { for j in 0..<n { w.data[j * k + i] = values[i * n + j] } }
        return .float(w)
    }

    /// A table stored row by row (the embeddings Wemb [V, D]).
    mutating func rows(_ name: String, rows: Int, width: Int) throws -> WeightPart {
        let item = try item(name, shapes: [[rows, width]])
        if item.type == .intgemm8 { return try int8Part(item, rows: rows, columns: width) }
        return .float(Tensor(shape: [rows, width], values: try file.floats(name)))
    }

    /// An intgemm8 item as its int8 values with the one scale 1 / multiplier — which the int8
    /// compute type runs unchanged. A −128 (intgemm keeps to ±127, but the format allows it)
    /// is beyond the int8 kernels' range: such an item is read as float values, to be
    /// quantized again per row.
    private func int8Part(_ item: MarianItem, rows: Int, columns: Int) throws -> WeightPart {
        let values = try file.int8Values(item.name)
        let scale = 1 / (try file.quantizationMultiplier(item.name))
        let stored = WeightPart.int8(values: values, scale: scale, rows: rows, columns: columns)
        return values.contains(Int8.min) ? .float(stored.floats) : stored
    }

    /// A vector stored as [1, N] (or [N]).
    mutating func vector(_ name: String, _ n: Int) throws -> Tensor {
        _ = try item(name, shapes: [[1, n], [n]])
        return Tensor(shape: [n], values: try file.floats(name))
    }

    /// LayerNorm `prefix_scale`/`prefix_bias` [1, D].
    mutating func norm(_ prefix: String, _ d: Int) throws -> Norm {
        Norm(kind: .layerNorm(epsilon: 1e-6), gamma: try vector("\(prefix)_scale", d), beta: try vector("\(prefix)_bias", d))
    }

    /// Throws when the file holds weights nobody read.
    func checkAllUsed() throws {
        let unused = file.items.map(\.name).filter { !used.contains($0) && !$0.hasSuffix("_QuantMultA") && !$0.hasPrefix("special:") }
        if !unused.isEmpty {
            throw ModelFileError(file.path, "\(unused.count) unexpected item(s): \(unused.prefix(3).joined(separator: ", "))\(unused.count > 3 ? ", …" : "")")
        }
    }
}

/// The files of a Marian translation folder.
struct MarianFolder {
    let model: String
    let shortlist: String?
    let options: MarianDecodingOptions

    init(directory: URL) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path).sorted() else {
            throw ModelFileError(directory.path, "not a model folder (cannot list it)")
        }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        var options = MarianDecodingOptions()
        var model: String?, shortlist: String?
        if let configName = names.first(where: { $0.hasPrefix("config") && ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) }) {
            let configPath = path(configName)
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                throw ModelFileError(configPath, "cannot read as UTF-8 text")
            }
            let c = try MarianYAML(text: text, path: configPath)
            options.beamSize = try c.int("beam-size") ?? options.beamSize
            options.normalize = try c.float("normalize") ?? options.normalize
            options.maxLengthFactor = try c.float("max-length-factor") ?? options.maxLengthFactor
            try options.validate(path: configPath)
            options.gemmPrecision = c.string("gemm-precision")
            model = c.lists["models"]?.first.map(path)
            shortlist = c.lists["shortlist"]?.first.map(path)
            if let m = model, !fm.fileExists(atPath: m) { throw ModelFileError(configPath, "names model '\(m)', which does not exist") }
            if let s = shortlist, !fm.fileExists(atPath: s) { throw ModelFileError(configPath, "names shortlist '\(s)', which does not exist") }
        }
        if model == nil {
            let candidates = names.filter { $0.hasPrefix("model") && $0.hasSuffix(".bin") }
            guard candidates.count == 1 else {
                throw ModelFileError(directory.path, candidates.isEmpty ? "no Marian model (*.bin) in the folder" : "several model .bin files and no config.yml naming one")
            }
            model = path(candidates[0])
            shortlist = names.first(where: { $0.hasPrefix("lex.") && $0.hasSuffix(".bin") }).map(path)
        }
        self.model = model!
        self.shortlist = shortlist
        self.options = options
    }

    /// Whether `directory` looks like a Marian folder (a Marian `.bin` model beside a
    /// `config*.yml`, as Firefox Translations ships them).
    static func looksLikeMarian(_ directory: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.contains { $0.hasPrefix("model") && $0.hasSuffix(".bin") }
            && names.contains { $0.hasPrefix("config") && $0.hasSuffix(".yml") }
    }
}

extension MarianNativeModel {
    /// Whether `directory` holds a Marian translation model (a `model*.bin` and a `config*.yml`).
    public static func isMarianFolder(_ directory: URL) -> Bool { MarianFolder.looksLikeMarian(directory) }
}

// The trainable encoder-decoder Transformer: embeddings (scaled by √D) plus sinusoidal
// positions, N encoder and M decoder blocks (post-norm or pre-norm), an output layer tied to
// the target embeddings or separate, and `final_logits_bias`. The same computation as
// transformers' MarianMTModel (post-norm), BartForConditionalGeneration (post-norm with
// `layernorm_embedding`) and MBartForConditionalGeneration (pre-norm) — or, with
// `configuration.t5`, T5ForConditionalGeneration (T5Layers.swift) — so that `export(to:)`
// gives a folder those classes run unchanged.
//
//     let model = TransformerModel(configuration: .init(preset: .tiny, vocabularySize: 64), seed: 1)
//     let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-3, beta2: 0.98, epsilon: 1e-9,
//                           withoutWeightDecay: model.parametersWithoutWeightDecay)
//     model.isTraining = true
//     let loss = model.loss(for: batch)
//     loss.backward(); clipGradientNorm(model.parameters, maxNorm: 1); optimizer.step(); optimizer.zeroGradients()
import Foundation
import Seq2SeqModels
import Seq2SeqTensor

/// An encoder-decoder Transformer whose parameters are `Variable`s named as Hugging Face names them.
public final class TransformerModel {
    /// The architecture.
    public let configuration: TransformerConfiguration
    /// Trainable parameters with their checkpoint names (`model.shared.weight`,
    /// `model.encoder.layers.0.self_attn.q_proj.weight`, …); a tied table appears once.
    public let namedParameters: [(name: String, variable: Variable)]
    /// `final_logits_bias` [V], added to the logits. Like Hugging Face's buffer it is loaded and
    /// exported but not trained (zeros in a new model).
    public let finalLogitsBias: Variable
    /// Whether forward passes apply dropout (off by default, i.e. evaluation mode).
    public var isTraining = false
    /// The generator of dropout masks; save it with a checkpoint to resume exactly.
    public var dropoutRandom: TrainingRandom

    let encoderEmbeddings: Variable, decoderEmbeddings: Variable, outputWeight: Variable
    let encoderEmbeddingNorm: LayerNormLayer?, decoderEmbeddingNorm: LayerNormLayer?
    let encoderLayers: [EncoderLayer], decoderLayers: [DecoderLayer]
    let encoderFinalNorm: LayerNormLayer?, decoderFinalNorm: LayerNormLayer?
    /// Sinusoidal positions [maxPositions, D] (constants).
    let positions: Tensor
    /// Learned position tables [maxPositions + 2, D] (`learnedPositions`), else nil.
    let encoderPositions: Variable?, decoderPositions: Variable?
    /// T5's blocks (`configuration.t5`); the layers above are then empty.
    let t5Stacks: T5Stacks?

    /// A new model with parameters drawn from `seed` (see `ParameterRegistry` for the scheme).
    /// `configuration` must be valid (`validate()`).
    public init(configuration c: TransformerConfiguration, seed: UInt64) {
        do { try c.validate() } catch { preconditionFailure("invalid configuration: \(error)") }
        configuration = c
        let (V, D) = (c.vocabularySize, c.modelWidth)
        let r = ParameterRegistry(seed: seed)
        positions = sinusoidalTable(positions: c.maxPositions, width: D)
        finalLogitsBias = Variable(Tensor(zeros: [V]))
        dropoutRandom = TrainingRandom(seed: seed ^ 0x5EED_D409)
        if let t5 = c.t5 {
            // transformers' order: shared, encoder, decoder, lm_head; N(0, 1) tables.
            encoderEmbeddings = r.make("shared.weight", [V, D], .normal(std: 1))
            decoderEmbeddings = encoderEmbeddings
            t5Stacks = T5Stacks(r, configuration: c, t5: t5)
            outputWeight = c.tiedOutput ? encoderEmbeddings : r.make("lm_head.weight", [V, D], .normal(std: 1))
            (encoderEmbeddingNorm, decoderEmbeddingNorm, encoderFinalNorm, decoderFinalNorm) = (nil, nil, nil, nil)
            (encoderLayers, decoderLayers, encoderPositions, decoderPositions) = ([], [], nil, nil)
            namedParameters = r.named
            return
        }
        t5Stacks = nil
        func table(_ name: String) -> Variable {
            let t = r.make(name, [V, D], .normal(std: 1 / Double(D).squareRoot()))
            (t.value.data + c.padTokenId * D).update(repeating: 0, count: D)
            return t
        }
        encoderEmbeddings = table(c.sharedEmbeddings ? "model.shared.weight" : "model.encoder.embed_tokens.weight")
        decoderEmbeddings = c.sharedEmbeddings ? encoderEmbeddings : table("model.decoder.embed_tokens.weight")
        encoderEmbeddingNorm = c.embeddingNorm ? LayerNormLayer(r, "model.encoder.layernorm_embedding", width: D) : nil
        encoderLayers = (0..<c.encoderLayers).map { EncoderLayer(r, index: $0, configuration: c) }
        encoderFinalNorm = c.preNorm ? LayerNormLayer(r, "model.encoder.layer_norm", width: D) : nil
        decoderEmbeddingNorm = c.embeddingNorm ? LayerNormLayer(r, "model.decoder.layernorm_embedding", width: D) : nil
        decoderLayers = (0..<c.decoderLayers).map { DecoderLayer(r, index: $0, configuration: c) }
        decoderFinalNorm = c.preNorm ? LayerNormLayer(r, "model.decoder.layer_norm", width: D) : nil
        outputWeight = c.tiedOutput ? decoderEmbeddings : r.make("lm_head.weight", [V, D], .normal(std: 1 / Double(D).squareRoot()))
        let sinusoids = positions
        if c.learnedPositions == true {
            let learned = ["encoder", "decoder"].map { stack -> Variable in
                let table = r.make("model.\(stack).embed_positions.weight", [c.maxPositions + 2, D], .zeros)
                (table.value.data + 2 * D).update(from: sinusoids.data, count: c.maxPositions * D)
                return table
            }
            (encoderPositions, decoderPositions) = (learned[0], learned[1])
        } else {
            (encoderPositions, decoderPositions) = (nil, nil)
        }
        namedParameters = r.named
    }

    /// The trainable parameters (the order of `namedParameters`), for an optimiser.
    public var parameters: [Variable] { namedParameters.map(\.variable) }

    /// Indices into `parameters` exempt from weight decay: biases (T5's relative position bias
    /// too) and norm gains, as transformers' `Trainer.get_decay_parameter_names` exempts them.
    public var parametersWithoutWeightDecay: Set<Int> {
        Set(namedParameters.indices.filter { i in
            let name = namedParameters[i].name
            return name.contains("bias") || name.contains("layer_norm") || name.contains("layernorm")
        })
    }

    /// The parameter called `name`, if the model has one.
    public func parameter(named name: String) -> Variable? {
        namedParameters.first { $0.name == name }?.variable
    }

    /// Number of trainable scalars (tied tables counted once).
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.variable.value.count } }

    /// Teacher-forced logits [B·T, V] of `batch` (row b·T + t predicts target t of pair b).
    /// Dropout is applied when `isTraining`.
    public func logits(for batch: TrainingBatch) -> Variable {
        var pass = ForwardPass(training: isTraining, random: dropoutRandom)
        defer { dropoutRandom = pass.random }
        let memory = encode(batch, pass: &pass)
        var h = decode(batch, memory: memory, pass: &pass)
        let (B, T, D) = (batch.batchSize, batch.targetLength, configuration.modelWidth)
        if let t5 = configuration.t5 {
            if t5.scaleDecoderOutputs { h = scale(h, by: 1 / Float(D).squareRoot()) }
            return linear(reshape(h, [B * T, D]), weight: outputWeight)
        }
        return linear(reshape(h, [B * T, D]), weight: outputWeight, bias: finalLogitsBias)
    }

    /// The label-smoothed cross-entropy of `batch` (ε = `configuration.labelSmoothing`),
    /// skipping padded targets: by default the sum over target tokens divided by their count,
    /// as `torch.nn.functional.cross_entropy(ignore_index:, label_smoothing:)` and
    /// transformers' `LabelSmoother` compute it (smoothing mass ε/V on every class). fairseq's
    /// `label_smoothed_cross_entropy` differs slightly: ε/(V-1) on the non-target classes, and
    /// a sum whose gradient it divides by the token count (`reduction: .sum`, then scale).
    public func loss(for batch: TrainingBatch, reduction: LossReduction = .mean) -> Variable {
        loss(logits: logits(for: batch), batch: batch, reduction: reduction)
    }

    /// The loss of already computed `logits` [B·T, V] of `batch`.
    public func loss(logits: Variable, batch: TrainingBatch, reduction: LossReduction = .mean) -> Variable {
        crossEntropy(logits: logits, targets: batch.targetIds, ignoreIndex: Int32(configuration.padTokenId),
                     labelSmoothing: configuration.labelSmoothing, reduction: reduction)
    }

    /// The encoder over the sources → memory [B, S, D].
    func encode(_ batch: TrainingBatch, pass: inout ForwardPass) -> Variable {
        let (B, S) = (batch.batchSize, batch.sourceLength)
        let mask = paddingMask(batch)
        if let t5Stacks {
            let x = pass.dropout(embedding(batch.sourceIds, shape: [B, S], table: encoderEmbeddings), configuration.dropout)
            return t5Stacks.encode(x, mask: mask, dropout: configuration.dropout, pass: &pass)
        }
        var x = embed(batch.sourceIds, shape: [B, S], table: encoderEmbeddings, learned: encoderPositions, norm: encoderEmbeddingNorm, pass: &pass)
        for layer in encoderLayers { x = layer(x, mask: mask, pass: &pass) }
        return encoderFinalNorm.map { $0(x) } ?? x
    }

    /// The decoder over the decoder inputs, attending to `memory` [B, S, D] → [B, T, D].
    func decode(_ batch: TrainingBatch, memory: Variable, pass: inout ForwardPass) -> Variable {
        let (B, T) = (batch.batchSize, batch.targetLength)
        let causal = Tensor(shape: [T, T], values: (0..<(T * T)).map { $0 % T > $0 / T ? -.infinity : 0 })
        let memoryMask = paddingMask(batch)
        if let t5Stacks {
            // T5's table has no padding row: the decoder start (the padding id) learns too.
            let x = pass.dropout(embedding(batch.decoderInputIds, shape: [B, T], table: decoderEmbeddings), configuration.dropout)
            return t5Stacks.decode(x, causalMask: causal, memory: memory, memoryMask: memoryMask, dropout: configuration.dropout, pass: &pass)
        }
        var x = embed(batch.decoderInputIds, shape: [B, T], table: decoderEmbeddings, learned: decoderPositions, norm: decoderEmbeddingNorm, pass: &pass)
        for layer in decoderLayers { x = layer(x, causalMask: causal, memory: memory, memoryMask: memoryMask, pass: &pass) }
        return decoderFinalNorm.map { $0(x) } ?? x
    }

    /// dropout(norm(E[ids]·√D + positions)) for ids of `shape` [B, L] → [B, L, D]; the positions
    /// are rows 2… of `learned` when the model learns them, else the sinusoids.
    private func embed(_ ids: [Int32], shape: [Int], table: Variable, learned: Variable?, norm: LayerNormLayer?,
                       pass: inout ForwardPass) -> Variable {
        let (L, D) = (shape[1], configuration.modelWidth)
        precondition(L <= configuration.maxPositions, "sequence of \(L) tokens exceeds \(configuration.maxPositions) positions")
        var x = embedding(ids, shape: shape, table: table, paddingIndex: Int32(configuration.padTokenId))
        if configuration.scaleEmbeddings { x = scale(x, by: Float(D).squareRoot()) }
        if let learned {
            let B = shape[0]
            let ids = (0..<(B * L)).map { Int32($0 % L + 2) }
            x = add(x, embedding(ids, shape: shape, table: learned))
        } else {
            let rows = Tensor(zeros: [L, D])
            rows.data.update(from: positions.data, count: L * D)
            x = add(x, Variable(rows))
        }
        if let norm { x = norm(x) }
        return pass.dropout(x, configuration.dropout)
    }

    /// The additive key-padding mask [B, 1, S]: -inf past each source's length.
    private func paddingMask(_ batch: TrainingBatch) -> Tensor {
        let (B, S) = (batch.batchSize, batch.sourceLength)
        return Tensor(shape: [B, 1, S], values: (0..<(B * S)).map { $0 % S < batch.sourceLengths[$0 / S] ? 0 : -.infinity })
    }
}

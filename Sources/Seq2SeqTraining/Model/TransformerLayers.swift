// The blocks of the trainable Transformer, each holding its parameters as `Variable`s named
// as Hugging Face's BART-style models name them (models/marian/modeling_marian.py,
// models/mbart/modeling_mbart.py): `self_attn.{q,k,v,out}_proj`, `self_attn_layer_norm`,
// `encoder_attn…`, `fc1`, `fc2`, `final_layer_norm`.
//
// Initialisation follows fairseq's transformer (fairseq/models/transformer, modules/
// multihead_attention.py): Xavier-uniform projections (gain 1/√2 for q, k, v), zero biases,
// unit norm gains, embeddings N(0, D^-0.5) with a zero padding row.
import Foundation
import Seq2SeqTensor

/// The model's trainable parameters in creation order, with their checkpoint names, and the
/// seeded generator that initialises them.
final class ParameterRegistry {
    private(set) var named: [(name: String, variable: Variable)] = []
    private var random: TrainingRandom

    init(seed: UInt64) { random = TrainingRandom(seed: seed) }

    /// How a new parameter's values are drawn.
    enum Initializer {
        case zeros, ones
        /// N(0, std²).
        case normal(std: Double)
        /// U(-a, a) with a = gain·√(6 / (fan_in + fan_out)) for a weight [fan_out, fan_in].
        case xavierUniform(gain: Double)
    }

    /// Creates and registers the parameter `name` of `shape`.
    func make(_ name: String, _ shape: [Int], _ initializer: Initializer) -> Variable {
        let n = shape.reduce(1, *)
        let values: [Float]
        switch initializer {
        case .zeros: values = Array(repeating: 0, count: n)
        case .ones: values = Array(repeating: 1, count: n)
        case .normal(let std): values = (0..<n).map { _ in Float(std * standardNormal()) }
        case .xavierUniform(let gain):
            let bound = gain * (6 / Double(shape[0] + shape[1])).squareRoot()
            values = (0..<n).map { _ in Float(bound * (2 * uniform() - 1)) }
        }
        let variable = Variable(Tensor(shape: shape, values: values), requiresGradient: true)
        named.append((name, variable))
        return variable
    }

    /// Uniform in [0, 1) with 53 random bits.
    private func uniform() -> Double { Double(random.next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller).
    private func standardNormal() -> Double {
        let u = 1 - uniform(), v = uniform()
        return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// What one forward pass needs besides the parameters: whether dropout is on, and its masks'
/// generator.
struct ForwardPass {
    let training: Bool
    var random: TrainingRandom

    /// Inverted dropout in training, the identity otherwise.
    mutating func dropout(_ x: Variable, _ rate: Float) -> Variable {
        training && rate > 0 ? Seq2SeqTraining.dropout(x, rate: rate, generator: &random) : x
    }

    /// The rate itself in training, 0 otherwise (for ops that take a rate).
    func rate(_ rate: Float) -> Float { training ? rate : 0 }
}

/// Y[..., Dout] = X[..., Din]·Wᵀ + b (`name.weight` [Dout, Din], `name.bias` [Dout]).
struct LinearLayer {
    let weight: Variable, bias: Variable

    init(_ r: ParameterRegistry, _ name: String, inputs: Int, outputs: Int, gain: Double = 1) {
        weight = r.make("\(name).weight", [outputs, inputs], .xavierUniform(gain: gain))
        bias = r.make("\(name).bias", [outputs], .zeros)
    }

    func callAsFunction(_ x: Variable) -> Variable { linear(x, weight: weight, bias: bias) }
}

/// LayerNorm over D (`name.weight` γ, `name.bias` β, ε 1e-5 as `torch.nn.LayerNorm`).
struct LayerNormLayer {
    let gamma: Variable, beta: Variable

    init(_ r: ParameterRegistry, _ name: String, width: Int) {
        gamma = r.make("\(name).weight", [width], .ones)
        beta = r.make("\(name).bias", [width], .zeros)
    }

    func callAsFunction(_ x: Variable) -> Variable { layerNorm(x, gamma: gamma, beta: beta) }
}

/// Multi-head attention with its four projections: queries from x [B, T, D], keys and values
/// from `memory` [B, S, D] (x itself for self-attention) → [B, T, D].
struct AttentionLayer {
    let query, key, value, output: LinearLayer
    let heads: Int
    let dropout: Float

    init(_ r: ParameterRegistry, _ name: String, configuration c: TransformerConfiguration) {
        let D = c.modelWidth, g = 1 / 2.0.squareRoot()
        key = LinearLayer(r, "\(name).k_proj", inputs: D, outputs: D, gain: g)
        value = LinearLayer(r, "\(name).v_proj", inputs: D, outputs: D, gain: g)
        query = LinearLayer(r, "\(name).q_proj", inputs: D, outputs: D, gain: g)
        output = LinearLayer(r, "\(name).out_proj", inputs: D, outputs: D)
        heads = c.heads
        dropout = c.attentionDropout
    }

    func callAsFunction(_ x: Variable, memory: Variable, mask: Tensor?, pass: inout ForwardPass) -> Variable {
        let context = attention(query: query(x), key: key(memory), value: value(memory), heads: heads, mask: mask,
                                dropoutRate: pass.rate(dropout), generator: &pass.random)
        return output(context)
    }
}

/// fc2(dropout(act(fc1(x)))): [B, T, D] → [B, T, D] through the inner width.
struct FeedForwardLayer {
    let fc1, fc2: LinearLayer
    let activation: Activation
    let dropout: Float

    init(_ r: ParameterRegistry, _ prefix: String, configuration c: TransformerConfiguration) {
        fc1 = LinearLayer(r, "\(prefix).fc1", inputs: c.modelWidth, outputs: c.feedForwardWidth)
        fc2 = LinearLayer(r, "\(prefix).fc2", inputs: c.feedForwardWidth, outputs: c.modelWidth)
        activation = c.activation
        dropout = c.activationDropout
    }

    func callAsFunction(_ x: Variable, pass: inout ForwardPass) -> Variable {
        fc2(pass.dropout(Seq2SeqTraining.activation(fc1(x), activation), dropout))
    }
}

/// A sublayer with its residual connection: x + drop(f(norm(x))) in pre-norm,
/// norm(x + drop(f(x))) in post-norm.
struct Residual {
    let preNorm: Bool
    let dropout: Float

    func callAsFunction(_ x: Variable, norm: LayerNormLayer, pass: inout ForwardPass,
                        _ body: (Variable, inout ForwardPass) -> Variable) -> Variable {
        if preNorm { return add(x, pass.dropout(body(norm(x), &pass), dropout)) }
        return norm(add(x, pass.dropout(body(x, &pass), dropout)))
    }
}

/// Encoder block: self-attention over the source, feed-forward.
struct EncoderLayer {
    let selfAttention: AttentionLayer, selfAttentionNorm: LayerNormLayer
    let feedForward: FeedForwardLayer, finalNorm: LayerNormLayer
    let residual: Residual

    init(_ r: ParameterRegistry, index: Int, configuration c: TransformerConfiguration) {
        let p = "model.encoder.layers.\(index)"
        selfAttention = AttentionLayer(r, "\(p).self_attn", configuration: c)
        selfAttentionNorm = LayerNormLayer(r, "\(p).self_attn_layer_norm", width: c.modelWidth)
        feedForward = FeedForwardLayer(r, p, configuration: c)
        finalNorm = LayerNormLayer(r, "\(p).final_layer_norm", width: c.modelWidth)
        residual = Residual(preNorm: c.preNorm, dropout: c.dropout)
    }

    /// x [B, S, D] with the source padding mask [B, 1, S] → [B, S, D].
    func callAsFunction(_ x: Variable, mask: Tensor, pass: inout ForwardPass) -> Variable {
        let h = residual(x, norm: selfAttentionNorm, pass: &pass) { y, pass in
            selfAttention(y, memory: y, mask: mask, pass: &pass)
        }
        return residual(h, norm: finalNorm, pass: &pass) { y, pass in feedForward(y, pass: &pass) }
    }
}

/// Decoder block: causal self-attention, cross-attention to the encoder memory, feed-forward.
struct DecoderLayer {
    let selfAttention: AttentionLayer, selfAttentionNorm: LayerNormLayer
    let crossAttention: AttentionLayer, crossAttentionNorm: LayerNormLayer
    let feedForward: FeedForwardLayer, finalNorm: LayerNormLayer
    let residual: Residual

    init(_ r: ParameterRegistry, index: Int, configuration c: TransformerConfiguration) {
        let p = "model.decoder.layers.\(index)"
        selfAttention = AttentionLayer(r, "\(p).self_attn", configuration: c)
        selfAttentionNorm = LayerNormLayer(r, "\(p).self_attn_layer_norm", width: c.modelWidth)
        crossAttention = AttentionLayer(r, "\(p).encoder_attn", configuration: c)
        crossAttentionNorm = LayerNormLayer(r, "\(p).encoder_attn_layer_norm", width: c.modelWidth)
        feedForward = FeedForwardLayer(r, p, configuration: c)
        finalNorm = LayerNormLayer(r, "\(p).final_layer_norm", width: c.modelWidth)
        residual = Residual(preNorm: c.preNorm, dropout: c.dropout)
    }

    /// x [B, T, D] with the causal mask [T, T], memory [B, S, D] with its padding mask [B, 1, S]
    /// → [B, T, D].
    func callAsFunction(_ x: Variable, causalMask: Tensor, memory: Variable, memoryMask: Tensor,
                        pass: inout ForwardPass) -> Variable {
        var h = residual(x, norm: selfAttentionNorm, pass: &pass) { y, pass in
            selfAttention(y, memory: y, mask: causalMask, pass: &pass)
        }
        h = residual(h, norm: crossAttentionNorm, pass: &pass) { y, pass in
            crossAttention(y, memory: memory, mask: memoryMask, pass: &pass)
        }
        return residual(h, norm: finalNorm, pass: &pass) { y, pass in feedForward(y, pass: &pass) }
    }
}

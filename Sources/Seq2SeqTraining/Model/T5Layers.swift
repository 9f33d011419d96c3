// The blocks of a trainable T5 (transformers models/t5/modeling_t5.py, v5.24), named as
// T5ForConditionalGeneration names them: `{encoder,decoder}.block.i.layer.j` with
// `SelfAttention.{q,k,v,o}` (+ `relative_attention_bias` in block 0), `EncDecAttention`,
// `DenseReluDense.{wi | wi_0, wi_1, wo}` and a `layer_norm` per sublayer.
//
// Each sublayer is x + dropout(f(rmsNorm(x))); attention is unscaled, its scores get the
// stack's relative position bias (computed from block 0's table, reused by every block, as
// transformers passes `position_bias` on); cross-attention has no position bias. Parameters
// are drawn as transformers' `T5PreTrainedModel._init_weights` draws them.
import Foundation
import Seq2SeqTensor

/// T5's RMS norm (`name.weight`).
struct RMSNormLayer {
    let gamma: Variable
    let epsilon: Float

    init(_ r: ParameterRegistry, _ name: String, width: Int, epsilon: Float) {
        gamma = r.make("\(name).weight", [width], .ones)
        self.epsilon = epsilon
    }

    func callAsFunction(_ x: Variable) -> Variable { rmsNorm(x, gamma: gamma, epsilon: epsilon) }
}

/// T5 attention: bias-free q, k, v [H·Dkv, D] and o [D, H·Dkv], no 1/√Dkv scaling.
struct T5AttentionLayer {
    let query, key, value, output: Variable
    /// `relative_attention_bias.weight` [buckets, H] of a stack's first self-attention.
    let relativeTable: Variable?
    let heads: Int
    let dropout: Float

    init(_ r: ParameterRegistry, _ name: String, configuration c: TransformerConfiguration, t5: TransformerConfiguration.T5Options,
         relative: Bool) {
        let (D, inner) = (c.modelWidth, c.heads * t5.headWidth)
        query = r.make("\(name).q.weight", [inner, D], .normal(std: 1 / Double(D * t5.headWidth).squareRoot()))
        key = r.make("\(name).k.weight", [inner, D], .normal(std: 1 / Double(D).squareRoot()))
        value = r.make("\(name).v.weight", [inner, D], .normal(std: 1 / Double(D).squareRoot()))
        output = r.make("\(name).o.weight", [D, inner], .normal(std: 1 / Double(inner).squareRoot()))
        relativeTable = relative ? r.make("\(name).relative_attention_bias.weight", [t5.relativeBuckets, c.heads],
                                          .normal(std: 1 / Double(D).squareRoot())) : nil
        heads = c.heads
        dropout = c.attentionDropout
    }

    func callAsFunction(_ x: Variable, memory: Variable, mask: Tensor?, bias: Variable?, pass: inout ForwardPass) -> Variable {
        let context = attention(query: linear(x, weight: query), key: linear(memory, weight: key), value: linear(memory, weight: value),
                                heads: heads, mask: mask, bias: bias, scale: 1, dropoutRate: pass.rate(dropout), generator: &pass.random)
        return linear(context, weight: output)
    }
}

/// wo(dropout(act(wi·x))), or wo(dropout(act(wi_0·x)⊙(wi_1·x))) when gated.
struct T5FeedForwardLayer {
    let input: Variable, gate: Variable?, output: Variable
    let activation: Activation
    let dropout: Float

    init(_ r: ParameterRegistry, _ name: String, configuration c: TransformerConfiguration, t5: TransformerConfiguration.T5Options) {
        let (D, F) = (c.modelWidth, c.feedForwardWidth)
        let inputStd = 1 / Double(D).squareRoot()
        if t5.gatedFeedForward {
            input = r.make("\(name).wi_0.weight", [F, D], .normal(std: inputStd))
            gate = r.make("\(name).wi_1.weight", [F, D], .normal(std: inputStd))
        } else {
            input = r.make("\(name).wi.weight", [F, D], .normal(std: inputStd))
            gate = nil
        }
        output = r.make("\(name).wo.weight", [D, F], .normal(std: 1 / Double(F).squareRoot()))
        activation = c.activation
        dropout = c.activationDropout
    }

    func callAsFunction(_ x: Variable, pass: inout ForwardPass) -> Variable {
        var h = Seq2SeqTraining.activation(linear(x, weight: input), activation)
        if let gate { h = multiply(h, linear(x, weight: gate)) }
        return linear(pass.dropout(h, dropout), weight: output)
    }
}

/// x + dropout(f(norm(x))): every T5 sublayer.
private func t5Sublayer(_ x: Variable, norm: RMSNormLayer, dropout: Float, pass: inout ForwardPass,
                        _ body: (Variable, inout ForwardPass) -> Variable) -> Variable {
    add(x, pass.dropout(body(norm(x), &pass), dropout))
}

/// Encoder block: `layer.0` self-attention, `layer.1` feed-forward.
struct T5EncoderBlock {
    let selfAttention: T5AttentionLayer, selfAttentionNorm: RMSNormLayer
    let feedForward: T5FeedForwardLayer, feedForwardNorm: RMSNormLayer
    let dropout: Float

    init(_ r: ParameterRegistry, index: Int, configuration c: TransformerConfiguration, t5: TransformerConfiguration.T5Options) {
        let p = "encoder.block.\(index).layer"
        selfAttention = T5AttentionLayer(r, "\(p).0.SelfAttention", configuration: c, t5: t5, relative: index == 0)
        selfAttentionNorm = RMSNormLayer(r, "\(p).0.layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        feedForward = T5FeedForwardLayer(r, "\(p).1.DenseReluDense", configuration: c, t5: t5)
        feedForwardNorm = RMSNormLayer(r, "\(p).1.layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        dropout = c.dropout
    }

    /// x [B, S, D] with the padding mask [B, 1, S] and the stack's bias [H, S, S] → [B, S, D].
    func callAsFunction(_ x: Variable, mask: Tensor, bias: Variable, pass: inout ForwardPass) -> Variable {
        let h = t5Sublayer(x, norm: selfAttentionNorm, dropout: dropout, pass: &pass) { y, pass in
            selfAttention(y, memory: y, mask: mask, bias: bias, pass: &pass)
        }
        return t5Sublayer(h, norm: feedForwardNorm, dropout: dropout, pass: &pass) { y, pass in feedForward(y, pass: &pass) }
    }
}

/// Decoder block: `layer.0` causal self-attention, `layer.1` cross-attention, `layer.2` feed-forward.
struct T5DecoderBlock {
    let selfAttention: T5AttentionLayer, selfAttentionNorm: RMSNormLayer
    let crossAttention: T5AttentionLayer, crossAttentionNorm: RMSNormLayer
    let feedForward: T5FeedForwardLayer, feedForwardNorm: RMSNormLayer
    let dropout: Float

    init(_ r: ParameterRegistry, index: Int, configuration c: TransformerConfiguration, t5: TransformerConfiguration.T5Options) {
        let p = "decoder.block.\(index).layer"
        selfAttention = T5AttentionLayer(r, "\(p).0.SelfAttention", configuration: c, t5: t5, relative: index == 0)
        selfAttentionNorm = RMSNormLayer(r, "\(p).0.layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        crossAttention = T5AttentionLayer(r, "\(p).1.EncDecAttention", configuration: c, t5: t5, relative: false)
        crossAttentionNorm = RMSNormLayer(r, "\(p).1.layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        feedForward = T5FeedForwardLayer(r, "\(p).2.DenseReluDense", configuration: c, t5: t5)
        feedForwardNorm = RMSNormLayer(r, "\(p).2.layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        dropout = c.dropout
    }

    /// x [B, T, D] with the causal mask [T, T] and the stack's bias [H, T, T], memory [B, S, D]
    /// with its padding mask [B, 1, S] → [B, T, D].
    func callAsFunction(_ x: Variable, causalMask: Tensor, bias: Variable, memory: Variable, memoryMask: Tensor,
                        pass: inout ForwardPass) -> Variable {
        var h = t5Sublayer(x, norm: selfAttentionNorm, dropout: dropout, pass: &pass) { y, pass in
            selfAttention(y, memory: y, mask: causalMask, bias: bias, pass: &pass)
        }
        h = t5Sublayer(h, norm: crossAttentionNorm, dropout: dropout, pass: &pass) { y, pass in
            crossAttention(y, memory: memory, mask: memoryMask, bias: nil, pass: &pass)
        }
        return t5Sublayer(h, norm: feedForwardNorm, dropout: dropout, pass: &pass) { y, pass in feedForward(y, pass: &pass) }
    }
}

/// Both T5 stacks: blocks, the final RMS norms, and the bias each stack computes once.
struct T5Stacks {
    let encoder: [T5EncoderBlock], decoder: [T5DecoderBlock]
    let encoderFinalNorm: RMSNormLayer, decoderFinalNorm: RMSNormLayer
    let options: TransformerConfiguration.T5Options

    init(_ r: ParameterRegistry, configuration c: TransformerConfiguration, t5: TransformerConfiguration.T5Options) {
        encoder = (0..<c.encoderLayers).map { T5EncoderBlock(r, index: $0, configuration: c, t5: t5) }
        encoderFinalNorm = RMSNormLayer(r, "encoder.final_layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        decoder = (0..<c.decoderLayers).map { T5DecoderBlock(r, index: $0, configuration: c, t5: t5) }
        decoderFinalNorm = RMSNormLayer(r, "decoder.final_layer_norm", width: c.modelWidth, epsilon: t5.normEpsilon)
        options = t5
    }

    /// x [B, S, D] (embedded, dropped out) → dropout(norm(blocks(x))).
    func encode(_ x: Variable, mask: Tensor, dropout: Float, pass: inout ForwardPass) -> Variable {
        let S = x.value.shape[1]
        let bias = relativePositionBias(table: encoder[0].selfAttention.relativeTable!, queries: S, keys: S, bidirectional: true,
                                        maxDistance: options.relativeMaxDistance)
        var h = x
        for block in encoder { h = block(h, mask: mask, bias: bias, pass: &pass) }
        return pass.dropout(encoderFinalNorm(h), dropout)
    }

    /// x [B, T, D] (embedded, dropped out) over `memory` → dropout(norm(blocks(x))).
    func decode(_ x: Variable, causalMask: Tensor, memory: Variable, memoryMask: Tensor, dropout: Float,
                pass: inout ForwardPass) -> Variable {
        let T = x.value.shape[1]
        let bias = relativePositionBias(table: decoder[0].selfAttention.relativeTable!, queries: T, keys: T, bidirectional: false,
                                        maxDistance: options.relativeMaxDistance)
        var h = x
        for block in decoder {
            h = block(h, causalMask: causalMask, bias: bias, memory: memory, memoryMask: memoryMask, pass: &pass)
        }
        return pass.dropout(decoderFinalNorm(h), dropout)
    }
}

// The only thing generation knows of a model: a decoder that steps one token at a time.
import Seq2SeqTensor

/// A decoder bound to encoded sources, stepped one token per row by a search strategy.
///
/// Rows are the decoder's hypotheses (greedy: one per source; beam search: `numBeams` per
/// source). After `begin(rowsPerSource:)` rows are source-major: row `r` belongs to source
/// `r / rowsPerSource`. `reorder(rows:)` then gathers rows freely (beam reordering, dropping
/// finished sources): the new row `i` is the old row `rows[i]`, with its source and cache.
public protocol DecoderSession: AnyObject {
    /// Number of sources B the session was built for.
    var sourceCount: Int { get }
    /// Vocabulary size V of the logits.
    var vocabularySize: Int { get }
    /// Starts decoding with `rowsPerSource` rows per source and an empty cache.
    func begin(rowsPerSource: Int) throws
    /// Feeds one token per row at the next position; returns next-token logits `[R, V]`, a
    /// tensor the search owns from then on (beam search turns it into log-probabilities in place).
    func step(tokens: [Int]) throws -> Tensor
    /// Feeds each row its prompt (`tokens[r]`, all of one length T ≥ 1) at the next T
    /// positions; returns the next-token logits `[R, V]` after the last of them. A model runs
    /// the prompt in one forward pass; the default steps one token at a time.
    func prefill(tokens: [[Int]]) throws -> Tensor
    /// Keeps and reorders rows: new row `i` is old row `rows[i]`.
    func reorder(rows: [Int]) throws
    /// The encoder's input ids of each source, for rules that read the source
    /// (`encoder_no_repeat_ngram_size`); nil when the encoder read no ids (audio).
    var sourceIds: [[Int]]? { get }
}

extension DecoderSession {
    /// Steps through the prompt one position at a time.
    public func prefill(tokens: [[Int]]) throws -> Tensor {
        let length = tokens.first?.count ?? 0
        precondition(length > 0 && tokens.allSatisfy { $0.count == length }, "prefill: one prompt of T ≥ 1 tokens per row")
        var logits: Tensor?
        for position in 0..<length { logits = try step(tokens: tokens.map { $0[position] }) }
        return logits!
    }

    /// No source ids: rules that read them are skipped, as Hugging Face skips them without `input_ids`.
    public var sourceIds: [[Int]]? { nil }
}

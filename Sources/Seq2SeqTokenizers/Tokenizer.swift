// The tokenizer interface every model family's tokenizer implements: text ⇄ ids, with the
// special tokens the reference implementation adds and skips.
import Foundation
import Seq2SeqTensor

/// Turns text into token ids and back, as the model's reference tokenizer does.
public protocol Tokenizer: Sendable {
    /// Number of ids (the largest id + 1, added tokens included).
    var vocabularySize: Int { get }
    /// Ids of `text`; with `addSpecialTokens` the ones the reference's `encode` adds by default
    /// (T5: `</s>` appended; BART: `<s>` … `</s>`).
    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int]
    /// Text of `ids`; with `skipSpecialTokens` special tokens are left out.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
    /// The token string of `id` (nil when out of range).
    func token(for id: Int) -> String?
    /// The id of a token string, if it is in the vocabulary.
    func id(for token: String) -> Int?
}

extension Tokenizer {
    /// Ids of `text` with the special tokens the reference adds by default.
    public func encode(_ text: String) throws -> [Int] { try encode(text, addSpecialTokens: true) }
    /// Text of `ids` with special tokens skipped.
    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecialTokens: true) }
}

/// A tokenizer file that cannot be used: which file, and what is wrong, in one line.
public struct TokenizerError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// The file concerned.
    public let path: String
    /// What is wrong.
    public let problem: String
    /// An error about `path`.
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }
    /// `path: problem`.
    public var description: String { "\(path): \(problem)" }
}

extension TokenizerError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

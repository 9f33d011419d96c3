// The one way metric inputs can be wrong: streams of different lengths.
import Foundation

/// Metric inputs that cannot be scored (hypotheses and references of different line counts),
/// in one line.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public let description: String
    /// An error with a one-line message.
    public init(_ description: String) { self.description = description }

    /// Throws when a reference stream's length differs from the hypotheses'.
    static func checkLengths(hypotheses: Int, references: [Int]) throws {
        if references.isEmpty { throw EvaluationError("no references") }
        for (k, count) in references.enumerated() where count != hypotheses {
            let which = references.count > 1 ? "reference stream \(k + 1)" : "the references"
            throw EvaluationError("\(hypotheses) hypotheses but \(count) \(count == 1 ? "line" : "lines") in \(which)")
        }
    }
}

extension EvaluationError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

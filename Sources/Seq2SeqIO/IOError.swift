// Errors of reading and writing model files.
import Foundation
import Seq2SeqTensor

/// A model file could not be read or written: which file, and what is wrong with it.
public struct ModelFileError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// The file (or folder) concerned.
    public let path: String
    /// What is wrong, in one line.
    public let problem: String

    /// An error about `path`.
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `path: problem`, one line.
    public var description: String { "\(path): \(problem)" }
}

/// The number of elements of `shape`, or nil when a dimension is negative or the product
/// passes `limit` (sizes read from files are checked before anything is allocated or multiplied).
func elementCount(_ shape: [Int], limit: Int = 1 << 48) -> Int? {
    var count = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, p <= limit else { return nil }
        count = p
    }
    return count
}

extension ModelFileError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

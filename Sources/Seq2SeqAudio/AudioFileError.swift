// Errors of reading audio and feature files.
import Foundation
import Seq2SeqTensor

/// An audio or feature file could not be read: which file, and what is wrong with it.
///
/// Front ends report it in one line and exit with status 3 (bad input data).
public struct AudioFileError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// The file concerned.
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

extension AudioFileError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

// The typed error of training data files (parallel corpora, dictd dictionaries). The
// command-line tool maps it to exit status 3 ("bad input data").
import Foundation
import Seq2SeqTensor

/// A training data file that cannot be used: missing, unreadable, corrupt, or without a
/// single valid pair. Its description names the file and the problem.
public struct TrainingDataError: Seq2SeqError, Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, as a value to compare against (`error.code == .fileNotFound`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file does not exist.
        public static let fileNotFound = Code("file not found")
        /// The file exists but cannot be opened or read (permissions, a directory, I/O error).
        public static let unreadable = Code("unreadable")
        /// The file was read but holds no usable pair.
        public static let noValidPairs = Code("no valid pairs")
        /// The file's structure is broken (bad index line, truncated gzip, offsets past the end).
        public static let corrupt = Code("corrupt")

        /// The code's name, e.g. "file not found".
        public var description: String { name }
    }

    /// The file, as the caller named it.
    public let path: String
    /// The kind of problem.
    public let code: Code
    /// One line saying what is wrong, without the path.
    public let detail: String

    /// An error about the file at `path`.
    public init(path: String, code: Code, detail: String) {
        self.path = path
        self.code = code
        self.detail = detail
    }

    /// "PATH: DETAIL", one line.
    public var description: String { "\(path): \(detail)" }
}

extension TrainingDataError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

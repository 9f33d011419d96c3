// Errors of reading and writing model files.

/// A model file could not be read or written: which file, and what is wrong with it.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
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

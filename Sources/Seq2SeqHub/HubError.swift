// Errors of resolving and downloading models from the Hugging Face Hub.

/// A Hub model could not be resolved or downloaded: what (a URL, a file or the model id), and why.
public struct HubError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; front ends choose exit codes from it.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        /// The text is not an `OWNER/NAME[@REVISION]` model id.
        public static let invalidID = Kind(name: "invalid id")
        /// The model, revision or a file is not on the Hub, or not in the cache when offline.
        public static let notFound = Kind(name: "not found")
        /// The repository holds nothing this toolkit can load.
        public static let unusableRepository = Kind(name: "unusable repository")
        /// What arrived is wrong: a SHA-256 or size mismatch, or a malformed answer from the server.
        public static let corruptData = Kind(name: "corrupt data")
        /// The Hub could not be reached, refused access, or the transfer broke off.
        public static let network = Kind(name: "network")
        /// The cache folder could not be written.
        public static let cache = Kind(name: "cache")
        /// The kind's name.
        public var description: String { name }
    }

    /// The kind of failure.
    public let kind: Kind
    /// The URL, file or model id concerned.
    public let subject: String
    /// What is wrong, in one line.
    public let problem: String

    /// An error of `kind` about `subject`.
    public init(_ kind: Kind, _ subject: String, _ problem: String) {
        self.kind = kind
        self.subject = subject
        self.problem = problem
    }

    /// `subject: problem`, one line.
    public var description: String { "\(subject): \(problem)" }
}

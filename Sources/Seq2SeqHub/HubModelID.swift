// Model ids as the Hub spells them: OWNER/NAME, optionally @REVISION (a branch, tag or commit).
// The name rules follow huggingface_hub's `validate_repo_id` (utils/_validators.py).

/// A Hugging Face Hub model id: `OWNER/NAME` and an optional revision (branch, tag or commit hash).
public struct HubModelID: Hashable, Sendable, CustomStringConvertible {
    /// The user or organization.
    public let owner: String
    /// The repository name.
    public let name: String
    /// The branch, tag or commit asked for; nil means the default branch, `main`.
    public let revision: String?

    /// Parses `OWNER/NAME` or `OWNER/NAME@REVISION`; throws `HubError` (`.invalidID`) otherwise.
    public init(parsing text: String) throws {
        let (repository, revision) = Self.split(text)
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            throw HubError(.invalidID, text, "not a Hub model id (expected OWNER/NAME or OWNER/NAME@REVISION)")
        }
        for part in parts {
            if let problem = Self.problem(inNamePart: part) { throw HubError(.invalidID, text, problem) }
        }
        if let revision, let problem = Self.problem(inRevision: revision) { throw HubError(.invalidID, text, problem) }
        owner = parts[0]
        name = parts[1]
        self.revision = revision
    }

    /// Whether `text` has the shape of a model id (one slash, no path-like start), so that a
    /// `--model` argument naming no folder is taken for one.
    public static func looksLikeID(_ text: String) -> Bool {
        guard let first = text.first, first != "/", first != ".", first != "~" else { return false }
        return split(text).repository.filter { $0 == "/" }.count == 1
    }

    /// `OWNER/NAME`.
    public var repository: String { "\(owner)/\(name)" }
    /// The revision to ask for: the given one, else `main`.
    public var resolvedRevision: String { revision ?? "main" }
    /// `OWNER/NAME` or `OWNER/NAME@REVISION`, as given.
    public var description: String { revision.map { "\(repository)@\($0)" } ?? repository }

    private static func split(_ text: String) -> (repository: String, revision: String?) {
        guard let at = text.firstIndex(of: "@") else { return (text, nil) }
        return (String(text[..<at]), String(text[text.index(after: at)...]))
    }

    /// Why `part` cannot be an owner or repository name, or nil when it can.
    private static func problem(inNamePart part: String) -> String? {
        if part.isEmpty { return "an empty owner or name" }
        if part.utf8.count > 96 { return "'\(part)' is longer than 96 characters" }
        let allowed = part.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0) }
        if !allowed { return "'\(part)' may hold only letters, digits, '-', '_' and '.'" }
        if part.contains("--") || part.contains("..") { return "'\(part)' may not contain '--' or '..'" }
        if "-.".contains(part.first!) || "-.".contains(part.last!) { return "'\(part)' may not start or end with '-' or '.'" }
        if part.hasSuffix(".git") { return "'\(part)' may not end with '.git'" }
        return nil
    }

    /// Why `revision` is unusable (it becomes a file under `refs/`), or nil.
    private static func problem(inRevision revision: String) -> String? {
        if revision.isEmpty { return "an empty revision after '@'" }
        let components = revision.split(separator: "/", omittingEmptySubsequences: false)
        if revision.hasPrefix("/") || components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "revision '\(revision)' is not a branch, tag or commit name"
        }
        if revision.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" || $0.value == 0x7f }) {
            return "revision '\(revision)' holds control characters or backslashes"
        }
        return nil
    }
}

// The flat subset of YAML that Marian writes for its model and decoder configs
// (`special:model.yml`, `config.*.yml`): `key: scalar`, `key: []`, `key: ""`, and `key:`
// followed by `- item` lines. Nested maps are not needed and are rejected.
import Foundation

/// A parsed flat Marian YAML config: scalars and lists of scalars by key.
public struct MarianYAML: Sendable {
    /// The file (or item) the text came from, for messages.
    public let path: String
    /// Scalar values by key (quotes removed).
    public private(set) var scalars: [String: String] = [:]
    /// List values by key.
    public private(set) var lists: [String: [String]] = [:]

    /// Parses `text`; throws `ModelFileError` naming `path` and the line on a construct this
    /// reader does not know.
    public init(text: String, path: String) throws {
        self.path = path
        var openList: String?
        // Split on the scalar "\n": a String's "\r\n" is one Character, which a Character-wise
        // split would not break, so a file with mixed line endings would run lines together.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars -> String in
            var line = String.UnicodeScalarView(scalars)
            if line.last == "\r" { line.removeLast() }
            return String(line)
        }
        for (n, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("- ") || trimmed == "-" {
                guard let key = openList else { throw ModelFileError(path, "line \(n + 1): list item without a key") }
                lists[key, default: []].append(Self.unquote(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)))
                continue
            }
            guard line.first != " ", let colon = line.firstIndex(of: ":") else {
                throw ModelFileError(path, "line \(n + 1): expected 'key: value', got '\(trimmed)'")
            }
            let key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            openList = nil
            if value.isEmpty {
                openList = key
                lists[key] = []
            } else if value == "[]" {
                lists[key] = []
            } else if value.hasPrefix("[") && value.hasSuffix("]") {
                lists[key] = value.dropFirst().dropLast().split(separator: ",").map {
                    Self.unquote($0.trimmingCharacters(in: .whitespaces))
                }
            } else {
                scalars[key] = Self.unquote(value)
            }
        }
    }

    private static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == s.last, f == "\"" || f == "'" { return String(s.dropFirst().dropLast()) }
        return s
    }

    /// The string at `key`, or nil.
    public func string(_ key: String) -> String? { scalars[key] }

    /// The integer at `key`, or nil when absent; throws when it is not an integer.
    public func int(_ key: String) throws -> Int? {
        guard let s = scalars[key] else { return nil }
        guard let v = Int(s) else { throw ModelFileError(path, "'\(key)' is '\(s)', not an integer") }
        return v
    }

    /// The number at `key`, or nil when absent; throws when it is not a number.
    public func float(_ key: String) throws -> Float? {
        guard let s = scalars[key] else { return nil }
        guard let v = Float(s) else { throw ModelFileError(path, "'\(key)' is '\(s)', not a number") }
        return v
    }

    /// The boolean at `key` (`true`/`false`), or nil when absent.
    public func bool(_ key: String) throws -> Bool? {
        guard let s = scalars[key] else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ModelFileError(path, "'\(key)' is '\(s)', not true or false")
        }
    }

    /// A required positive integer.
    public func requiredInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw ModelFileError(path, "missing '\(key)'") }
        guard v > 0 else { throw ModelFileError(path, "'\(key)' must be positive, got \(v)") }
        return v
    }
}

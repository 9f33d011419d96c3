// Hugging Face configuration files (`config.json`, `generation_config.json`) read as typed
// lookups that name the file and key when a value has the wrong type.
import Foundation

/// A parsed JSON object file with typed, optional lookups.
public struct JSONConfig: @unchecked Sendable {
    /// The file, for messages.
    public let path: String
    /// The top-level object.
    public let raw: [String: Any]

    /// Reads `url`; throws `ModelFileError` when it is missing, not JSON, or not an object.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelFileError(url.path, FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "missing file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            throw ModelFileError(url.path, "not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ModelFileError(url.path, "expected a JSON object at the top level")
        }
        self.init(path: url.path, raw: dictionary)
    }

    /// A configuration from an already parsed object.
    public init(path: String, raw: [String: Any]) {
        self.path = path
        self.raw = raw
    }

    private func present(_ key: String) -> Any? {
        guard let v = raw[key], !(v is NSNull) else { return nil }
        return v
    }

    private func wrongType(_ key: String, _ expected: String) -> ModelFileError {
        ModelFileError(path, "\"\(key)\" should be \(expected), got \(raw[key].map { "\($0)" } ?? "nothing")")
    }

    /// An integer, or nil when absent or null.
    public func int(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let n = JSONConfig.integer(v) else { throw wrongType(key, "an integer") }
        return n
    }

    /// A number, or nil when absent or null.
    public func double(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, !JSONConfig.isBool(n) else { throw wrongType(key, "a number") }
        return n.doubleValue
    }

    /// A boolean, or nil when absent or null.
    public func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, JSONConfig.isBool(n) else { throw wrongType(key, "true or false") }
        return n.boolValue
    }

    /// A string, or nil when absent or null.
    public func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else { throw wrongType(key, "a string") }
        return s
    }

    /// An array of integers, or nil when absent or null.
    public func intArray(_ key: String) throws -> [Int]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any] else { throw wrongType(key, "an array of integers") }
        let ints = a.compactMap(JSONConfig.integer)
        guard ints.count == a.count else { throw wrongType(key, "an array of integers") }
        return ints
    }

    /// An integer or an array of integers (as `eos_token_id` may be), as an array.
    public func intOrIntArray(_ key: String) throws -> [Int]? {
        guard let v = present(key) else { return nil }
        if let n = JSONConfig.integer(v) { return [n] }
        guard let a = try? intArray(key) else { throw wrongType(key, "an integer or an array of integers") }
        return a
    }

    /// `v` as an integer when it is a whole JSON number (not a boolean).
    public static func integer(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, !isBool(n) else { return nil }
        let d = n.doubleValue
        guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return n.intValue
    }

    /// Whether a JSON number came from `true` / `false`.
    public static func isBool(_ n: NSNumber) -> Bool {
        type(of: n) == type(of: NSNumber(value: true))
    }
}

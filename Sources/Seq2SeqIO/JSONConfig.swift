// Hugging Face configuration files (`config.json`, `generation_config.json`) read as typed
// lookups that name the file and key when a value has the wrong type.
import Foundation

/// A parsed JSON object file with typed, optional lookups.
public struct JSONConfig: Sendable {
    /// The file, for messages.
    public let path: String
    /// The top-level object.
    public let object: JSONValue

    /// Reads `url`; throws `ModelFileError` when it is missing, not JSON, or not an object.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelFileError(url.path, FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "missing file")
        }
        let value: JSONValue
        do { value = try JSONValue.parse([UInt8](data)) } catch {
            throw ModelFileError(url.path, "not valid JSON (\(error))")
        }
        guard value.members != nil else {
            throw ModelFileError(url.path, "expected a JSON object at the top level")
        }
        self.init(path: url.path, object: value)
    }

    /// A configuration from an already parsed object.
    public init(path: String, object: JSONValue) {
        self.path = path
        self.object = object
    }

    /// The member `key`, nil when absent or null.
    public subscript(key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    private func wrongType(_ key: String, _ expected: String) -> ModelFileError {
        ModelFileError(path, "\"\(key)\" should be \(expected), got \(object[key]?.summary ?? "nothing")")
    }

    /// An integer, or nil when absent or null.
    public func int(_ key: String) throws -> Int? {
        guard let v = self[key] else { return nil }
        guard let n = v.intValue else { throw wrongType(key, "an integer") }
        return n
    }

    /// A number, or nil when absent or null.
    public func double(_ key: String) throws -> Double? {
        guard let v = self[key] else { return nil }
        guard let d = v.doubleValue else { throw wrongType(key, "a number") }
        return d
    }

    /// A boolean, or nil when absent or null.
    public func bool(_ key: String) throws -> Bool? {
        guard let v = self[key] else { return nil }
        guard let b = v.boolValue else { throw wrongType(key, "true or false") }
        return b
    }

    /// A string, or nil when absent or null.
    public func string(_ key: String) throws -> String? {
        guard let v = self[key] else { return nil }
        guard let s = v.stringValue else { throw wrongType(key, "a string") }
        return s
    }

    /// An array of integers, or nil when absent or null.
    public func intArray(_ key: String) throws -> [Int]? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue else { throw wrongType(key, "an array of integers") }
        let ints = a.compactMap(\.intValue)
        guard ints.count == a.count else { throw wrongType(key, "an array of integers") }
        return ints
    }

    /// An integer or an array of integers (as `eos_token_id` may be), as an array.
    public func intOrIntArray(_ key: String) throws -> [Int]? {
        guard let v = self[key] else { return nil }
        if let n = v.intValue { return [n] }
        guard let a = try? intArray(key) else { throw wrongType(key, "an integer or an array of integers") }
        return a
    }
}

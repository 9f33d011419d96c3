// Typed reads of tokenizer.json with the path of keys that led to each value, so that a
// problem is one line naming the file and the place (`pre_tokenizer.pretokenizers[1].pattern`).
import Seq2SeqIO

extension JSONValue {
    /// Parses a tokenizer file's bytes; throws `TokenizerError` naming `path` and the byte offset.
    static func parse(_ bytes: [UInt8], path: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw TokenizerError(path, "corrupt JSON at byte \(error.offset): \(error.problem)")
        }
    }
}

/// A JSON value with the path of keys that led to it, for one-line error messages.
struct JSONNode {
    let value: JSONValue
    /// Where the value sits, as `pre_tokenizer.pretokenizers[1].pattern`.
    let at: String
    /// The tokenizer file, for messages.
    let file: String

    func error(_ problem: String) -> TokenizerError { TokenizerError(file, problem) }

    /// The member `key` of an object (nil when absent or null).
    func optional(_ key: String) throws -> JSONNode? {
        guard value.members != nil else { throw error("\(at) should be an object") }
        guard let v = value[key], !v.isNull else { return nil }
        return JSONNode(value: v, at: at.isEmpty ? key : "\(at).\(key)", file: file)
    }

    /// The member `key`, which must be present.
    func required(_ key: String) throws -> JSONNode {
        guard let node = try optional(key) else {
            throw error("missing field \"\(at.isEmpty ? key : "\(at).\(key)")\"")
        }
        return node
    }

    var isObject: Bool { if case .object = value { return true } else { return false } }

    func string() throws -> String {
        guard case .string(let s) = value else { throw error("\(at) should be a string") }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw error("\(at) should be true or false") }
        return b
    }

    func double() throws -> Double {
        guard let d = value.doubleValue else { throw error("\(at) should be a number") }
        return d
    }

    func int() throws -> Int {
        guard let n = value.intValue else { throw error("\(at) should be an integer") }
        return n
    }

    func array() throws -> [JSONNode] {
        guard case .array(let items) = value else { throw error("\(at) should be an array") }
        return items.enumerated().map { JSONNode(value: $1, at: "\(at)[\($0)]", file: file) }
    }

    /// The members of an object, in file order.
    func members() throws -> [(String, JSONNode)] {
        guard case .object(let members) = value else { throw error("\(at) should be an object") }
        return members.map { ($0, JSONNode(value: $1, at: "\(at).\($0)", file: file)) }
    }

    /// The `type` tag of a component.
    func type(_ what: String) throws -> String {
        guard let t = try optional("type") else { throw error("\(at) has no \"type\" (\(what))") }
        return try t.string()
    }

    func string(_ key: String, default d: String) throws -> String { try optional(key)?.string() ?? d }
    func bool(_ key: String, default d: Bool) throws -> Bool { try optional(key)?.bool() ?? d }
    func int(_ key: String, default d: Int) throws -> Int { try optional(key)?.int() ?? d }

    /// A single character field (Metaspace `replacement`, Strip `content`).
    func character(_ key: String) throws -> Unicode.Scalar {
        let s = try required(key).string()
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else {
            throw error("\(at).\(key) should be one character, got \"\(s)\"")
        }
        return c
    }
}

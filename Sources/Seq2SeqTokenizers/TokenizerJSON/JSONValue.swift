// A small JSON reader for tokenizer.json. Foundation's JSONSerialization turns objects into
// Swift dictionaries keyed by `String`, whose equality is canonical equivalence: a vocabulary
// holding both "é" and "e\u{301}" would silently lose one of them. This reader keeps every
// object as its ordered list of (key, value) pairs with the keys' exact scalars.

/// A parsed JSON value.
enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Parses `bytes` (UTF-8); throws `TokenizerError` naming `path` and the byte offset.
    static func parse(_ bytes: [UInt8], path: String) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes, path: path)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    let path: String
    var position = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    func error(_ what: String) -> TokenizerError {
        TokenizerError(path, "corrupt JSON at byte \(position): \(what)")
    }

    mutating func skipSpace() {
        while position < bytes.count {
            let b = bytes[position]
            guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            position += 1
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw error("nested too deeply") }
        guard position < bytes.count else { throw error("unexpected end of file") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: String) throws {
        for b in word.utf8 {
            guard position < bytes.count, bytes[position] == b else { throw error("expected \(word)") }
            position += 1
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try string()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipSpace()
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard position < bytes.count else { throw error("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard position < bytes.count else { throw error("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func number() throws -> Double {
        let start = position
        while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
        guard position > start, let v = Double(String(decoding: bytes[start..<position], as: UTF8.self))
        else { throw error("expected a value") }
        return v
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
              let v = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw error("bad \\u escape") }
        position += 4
        return v
    }

    mutating func string() throws -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let b = bytes[position]
            position += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard position < bytes.count else { throw error("unterminated string") }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count,
                   bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append(contentsOf: String(Character("\u{FFFD}")).utf8)
                        code = low
                    }
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(scalar)).utf8)
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
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
        guard case .object(let members) = value else { throw error("\(at) should be an object") }
        for (k, v) in members where k == key {
            if case .null = v { return nil }
            return JSONNode(value: v, at: at.isEmpty ? key : "\(at).\(key)", file: file)
        }
        return nil
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
        guard case .number(let d) = value else { throw error("\(at) should be a number") }
        return d
    }

    func int() throws -> Int {
        guard case .number(let d) = value, d.rounded() == d, abs(d) < 9e15 else {
            throw error("\(at) should be an integer")
        }
        return Int(d)
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

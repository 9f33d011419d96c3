// The toolkit's one JSON value type and its reader and pretty writer. Every JSON file read
// from a model folder (config.json, generation_config.json, tokenizer.json, vocab.json) is
// parsed here, and the files training writes are written from here.
//
// Foundation's JSONSerialization turns objects into dictionaries keyed by `String`, whose
// equality is canonical equivalence: a vocabulary holding both "é" and "e\u{301}" would
// silently lose one of them, and it gives NSNumber for numbers and booleans alike. This
// reader keeps every object as its list of (key, value) pairs with the keys' exact scalars,
// and keeps integers apart from decimals (transformers' configuration classes check field
// types strictly, so a float field is written `0.0`, never `0`).
import Foundation
import Seq2SeqTensor

/// A parsed JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without a fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// The members in file order, keys as written (duplicates kept; lookups take the last).
    case object([(String, JSONValue)])

    /// Parses `bytes` (UTF-8, an optional byte-order mark first).
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.position = 3 }
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }

    /// `Float` written in its shortest decimal form (`0.1`, not `0.10000000149011612`).
    public static func float(_ x: Float) -> JSONValue { .number(Double("\(x)") ?? Double(x)) }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0.unicodeScalars.elementsEqual($1.0.unicodeScalars) && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// JSON text that does not parse: where, and what was expected.
public struct JSONSyntaxError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// The byte offset of the problem.
    public let offset: Int
    /// What is wrong there.
    public let problem: String

    /// `byte N: problem`.
    public var description: String { "byte \(offset): \(problem)" }
}

extension JSONSyntaxError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

// MARK: - Reading values

extension JSONValue {
    /// The member `key` of an object (the last one when the key is repeated, as Python's `json`
    /// reads it); nil when this is not an object or has no such member. A `null` member is `.null`.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members.last { $0.0.unicodeScalars.elementsEqual(key.unicodeScalars) }?.1
        }
        set {
            guard case .object(var members) = self else { return }
            members.removeAll { $0.0.unicodeScalars.elementsEqual(key.unicodeScalars) }
            if let newValue { members.append((key, newValue)) }
            self = .object(members)
        }
    }

    /// The members of an object in file order; nil for other values.
    public var members: [(String, JSONValue)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// An integer: an `.integer`, or a whole `.number` below 9·10^15 in magnitude (`4.0` reads as 4).
    public var intValue: Int? {
        switch self {
        case .integer(let n): return n
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    /// Any number as a `Double`.
    public var doubleValue: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .number(let d): return d
        default: return nil
        }
    }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// The value in a few words, for messages: `the string "x"`, `a list`, `an object`, `1.5`.
    public var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let n): return "\(n)"
        case .number(let d): return "\(d)"
        case .string(let s): return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

// MARK: - Foundation values

extension JSONValue {
    /// The value of an object `JSONSerialization` produced (or Swift values of the same kinds:
    /// dictionaries keyed by `String`, arrays, strings, numbers, booleans, `NSNull`); nil for
    /// anything else. Dictionary members are sorted by key, since a dictionary has no order.
    public init?(jsonObject: Any) {
        switch jsonObject {
        case is NSNull: self = .null
        case let b as Bool where type(of: jsonObject) == Bool.self: self = .bool(b)
        case let n as Int where type(of: jsonObject) == Int.self: self = .integer(n)
        case let d as Double where type(of: jsonObject) == Double.self: self = .number(d)
        case let n as NSNumber where type(of: n) == type(of: NSNumber(value: true)): self = .bool(n.boolValue)
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "f", "d": self = .number(n.doubleValue)
            default: self = .integer(n.intValue)
            }
        case let s as String: self = .string(s)
        case let items as [Any]:
            var values: [JSONValue] = []
            for item in items {
                guard let v = JSONValue(jsonObject: item) else { return nil }
                values.append(v)
            }
            self = .array(values)
        case let dictionary as [String: Any]:
            var members: [(String, JSONValue)] = []
            for key in dictionary.keys.sorted() {
                guard let v = JSONValue(jsonObject: dictionary[key]!) else { return nil }
                members.append((key, v))
            }
            self = .object(members)
        default: return nil
        }
    }
}

// MARK: - Literals (configurations written in Swift, tests)

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object whose members keep the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

// MARK: - The reader

private struct JSONReader {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ what: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, problem: what) }

    mutating func skipSpace() {
        while position < bytes.count {
            let b = bytes[position]
            guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            position += 1
        }
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 512 else { throw error("nested too deeply") }
        guard position < bytes.count else { throw error("unexpected end of file") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws(JSONSyntaxError) {
        for b in word.utf8 {
            guard position < bytes.count, bytes[position] == b else { throw error("expected \(word)") }
            position += 1
        }
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
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

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
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

    /// A number: `.integer` when written without fraction or exponent and within `Int`.
    mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        var decimal = false
        while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) {
            if "+.eE".utf8.contains(bytes[position]) { decimal = true }
            position += 1
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if !decimal, position > start, let n = Int(text) { return .integer(n) }
        guard position > start, let v = Double(text), v.isFinite else {
            position = start
            throw error("expected a value")
        }
        return .number(v)
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count,
              let v = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw error("bad \\u escape") }
        position += 4
        return v
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        let start = position
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
        guard let text = String(validating: out, as: UTF8.self) else {
            position = start
            throw error("a string is not valid UTF-8")
        }
        return text
    }
}

// MARK: - The pretty writer

extension JSONValue {
    /// The value as indented JSON text ending with a newline, byte for byte the same for the
    /// same value: objects keep their member order, one member per line with two-space indents;
    /// arrays of scalars stay on one line (`["▁t", "he"]`, `[1]`), other arrays get one item per
    /// line. Non-ASCII text is written as is; only `"`, `\` and control characters are escaped.
    /// Decimals are written with a fraction (`0.0`), integers without.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(to out: inout [UInt8], indent: Int) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .integer(let n): out += Array(String(n).utf8)
        case .number(let d) where !d.isFinite: out += Array("null".utf8)
        case .number(let d):
            let text = d.rounded() == d && abs(d) < 1e15 ? "\(Int(d)).0" : "\(d)"
            out += Array(text.utf8)
        case .string(let s): JSONText.appendString(s, to: &out)
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { out += [UInt8(ascii: ","), UInt8(ascii: " ")] }
                    item.write(to: &out, indent: indent)
                }
                out.append(UInt8(ascii: "]"))
                return
            }
            writeLines(items.map { (nil, $0) }, open: "[", close: "]", to: &out, indent: indent)
        case .object(let members):
            writeLines(members.map { ($0.0, $0.1) }, open: "{", close: "}", to: &out, indent: indent)
        }
    }

    private func writeLines(_ entries: [(String?, JSONValue)], open: Unicode.Scalar, close: Unicode.Scalar,
                            to out: inout [UInt8], indent: Int) {
        out.append(UInt8(ascii: open))
        guard !entries.isEmpty else { out.append(UInt8(ascii: close)); return }
        for (i, (key, value)) in entries.enumerated() {
            out += i == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A]
            out += [UInt8](repeating: 0x20, count: indent + 2)
            if let key {
                JSONText.appendString(key, to: &out)
                out += [UInt8(ascii: ":"), 0x20]
            }
            value.write(to: &out, indent: indent + 2)
        }
        out.append(0x0A)
        out += [UInt8](repeating: 0x20, count: indent)
        out.append(UInt8(ascii: close))
    }
}

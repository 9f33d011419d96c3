// JSON text as UTF-8, shared by every writer of JSON in the toolkit (the tokenizer files BPE
// training writes, the command line's JSON Lines, the HTTP server's responses): objects whose
// members keep the order given (Foundation's JSONSerialization orders keys by hash, which
// changes from run to run, and is slow on Linux).

/// A JSON object whose members are written in the order given; `nil` members are left out.
public struct JSONObject {
    /// The members, in order.
    public var members: [(String, Any?)]

    /// An object with `members` in their order.
    public init(_ members: KeyValuePairs<String, Any?>) { self.members = members.map { ($0.key, $0.value) } }

    /// An object with `members` in their order.
    public init(members: [(String, Any?)]) { self.members = members }

    /// Adds a member at the end.
    public mutating func append(_ key: String, _ value: Any?) { members.append((key, value)) }

    /// The object's JSON text.
    public var utf8: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONText.append(self, to: &out)
        return out
    }
}

/// Writing JSON text.
public enum JSONText {
    /// Appends the JSON text of `value`: objects, arrays, strings, integers, floating-point
    /// numbers (shortest round-tripping form; ±infinity as ±1.7976931348623157e+308, NaN as null)
    /// and booleans.
    public static func append(_ value: Any?, to out: inout [UInt8]) {
        switch value {
        case nil: out += Array("null".utf8)
        case let object as JSONObject:
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object.members where member != nil {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let b as Bool: out += Array((b ? "true" : "false").utf8)
        case let i as Int: writeInteger(i, to: &out)
        case let ids as [Int]: writeArray(ids, to: &out) { writeInteger($0, to: &$1) }
        case let texts as [String]: writeArray(texts, to: &out) { writeString($0, to: &$1) }
        case let f as Float: writeNumber(Double("\(f)") ?? Double(f), to: &out)
        case let d as Double: writeNumber(d, to: &out)
        case let s as String: writeString(s, to: &out)
        case let items as [Any?]:
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let items as [Any]: append(items.map { Optional($0) }, to: &out)
        default: writeString("\(value!)", to: &out)
        }
    }

    /// `[a,b,…]` with each element written by `element`.
    private static func writeArray<T>(_ items: [T], to out: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            element(item, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Decimal digits of `value`, without making a `String`.
    private static func writeInteger(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    private static func writeNumber(_ d: Double, to out: inout [UInt8]) {
        if d.isNaN { out += Array("null".utf8); return }
        let finite = d.isInfinite ? (d < 0 ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude) : d
        if finite == finite.rounded(), abs(finite) < 1e15 {
            writeInteger(Int(finite), to: &out)
        } else {
            out += Array("\(finite)".utf8)
        }
    }

    private static func writeString(_ s: String, to out: inout [UInt8]) { appendString(s, to: &out) }

    /// Appends `s` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else (non-ASCII included) written as it is.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Runs that need no escape are copied whole.
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[start..<i])
                appendEscaped(b, to: &out)
                start = i + 1
            }
            out.append(contentsOf: bytes[start...])
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        switch b {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        default:
            out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
            out.append(hex.utf8Start[Int(b >> 4)])
            out.append(hex.utf8Start[Int(b & 15)])
        }
    }
}

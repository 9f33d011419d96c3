// JSON Lines output with a fixed member order: each command writes its fields in the order
// docs/cli.md shows them, so the same input prints the same bytes on every run (Foundation's
// JSONSerialization orders keys by hash, which changes from run to run). Written straight to
// a buffered standard output, one record a line.
#if canImport(Glibc)
import Glibc
#endif
import Seq2Seq

/// A JSON object whose members print in the order given; `nil` members are left out.
struct JSONObject {
    var members: [(String, Any?)]

    init(_ members: KeyValuePairs<String, Any?>) { self.members = members.map { ($0.key, $0.value) } }

    init(members: [(String, Any?)]) { self.members = members }

    /// Adds a member at the end.
    mutating func append(_ key: String, _ value: Any?) { members.append((key, value)) }
}

/// Prints `object` as one JSON Lines record.
func printJSON(_ object: JSONObject) {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    writeJSON(object, to: &out)
    out.append(0x0A)
    out.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
}

/// Appends the JSON text of `value`: objects, arrays, strings, integers, floating-point
/// numbers (shortest round-tripping form; ±infinity as ±1.7976931348623157e+308, NaN as null)
/// and booleans.
private func writeJSON(_ value: Any?, to out: inout [UInt8]) {
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
            writeJSON(member, to: &out)
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
            writeJSON(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    case let items as [Any]: writeJSON(items.map { Optional($0) }, to: &out)
    default: writeString("\(value!)", to: &out)
    }
}

/// `[a,b,…]` with each element written by `element`.
private func writeArray<T>(_ items: [T], to out: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
    out.append(UInt8(ascii: "["))
    for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        element(item, &out)
    }
    out.append(UInt8(ascii: "]"))
}

/// Decimal digits of `value`, without making a `String`.
private func writeInteger(_ value: Int, to out: inout [UInt8]) {
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

private func writeNumber(_ d: Double, to out: inout [UInt8]) {
    if d.isNaN { out += Array("null".utf8); return }
    let finite = d.isInfinite ? (d < 0 ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude) : d
    if finite == finite.rounded(), abs(finite) < 1e15 {
        writeInteger(Int(finite), to: &out)
    } else {
        out += Array("\(finite)".utf8)
    }
}

private func writeString(_ s: String, to out: inout [UInt8]) { JSONText.appendString(s, to: &out) }

// Writes a `JSONValue` as UTF-8 text, byte for byte the same for the same value: objects keep
// their member order, one member per line with two-space indents; arrays of scalars stay on
// one line (`["▁t", "he"]`, `[1]`), other arrays get one item per line. Non-ASCII text is
// written as is; only `"`, `\` and control characters are escaped.

import Seq2SeqIO

extension JSONValue {
    /// The value as indented JSON text, ending with a newline.
    func serialized() -> [UInt8] {
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
        case .number(let d):
            let text = d.rounded() == d && abs(d) < 9e15 ? String(Int(d)) : String(d)
            out += Array(text.utf8)
        case .string(let s): JSONValue.writeString(s, to: &out)
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
                JSONValue.writeString(key, to: &out)
                out += [UInt8(ascii: ":"), 0x20]
            }
            value.write(to: &out, indent: indent + 2)
        }
        out.append(0x0A)
        out += [UInt8](repeating: 0x20, count: indent)
        out.append(UInt8(ascii: close))
    }

    private static func writeString(_ s: String, to out: inout [UInt8]) { JSONText.appendString(s, to: &out) }
}

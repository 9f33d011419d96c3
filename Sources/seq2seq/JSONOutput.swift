// JSON Lines output with a fixed member order: each command writes its fields in the order
// docs/cli.md shows them, so the same input prints the same bytes on every run (Foundation's
// JSONSerialization orders keys by hash, which changes from run to run). Written straight to
// a buffered standard output, one record a line (JSONObject: Seq2SeqIO/JSONText.swift).
#if canImport(Glibc)
import Glibc
#endif
import Seq2Seq

/// Prints `object` as one JSON Lines record.
func printJSON(_ object: JSONObject) {
    var out = object.utf8
    out.append(0x0A)
    out.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
}

/// Prints `objects` as one JSON array on one line.
func printJSONArray(_ objects: [JSONObject]) {
    var out: [UInt8] = [UInt8(ascii: "[")]
    for (k, object) in objects.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        out += object.utf8
    }
    out += [UInt8(ascii: "]"), 0x0A]
    out.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
}

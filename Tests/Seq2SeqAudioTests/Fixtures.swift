// Paths and readers for Tests/Fixtures/audio (written by scripts/make_audio_fixtures.py).
import Foundation
import Seq2SeqAudio
import Seq2SeqTensor

enum AudioFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/audio")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// expected.json: per-file decode expectations and reference metadata.
    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func npy(_ name: String) throws -> Tensor { try NPYFile.readFloat32Matrix(path: path(name)) }
}

/// max |a − b| over two equally long sequences.
func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float where A.Element == Float, B.Element == Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

// Stand-in for `PrecompiledCharsMap`, which the SentencePiece work (branch spm) provides with
// `init(data: [UInt8]) throws` and `normalize(_ text: String) -> String`. Delete this file when
// that branch is merged; until then tokenizer.json files with a Precompiled normalizer are
// refused with a clear error.

/// Placeholder: always throws, so Precompiled normalizers are reported as unavailable.
struct PrecompiledCharsMap: Sendable {
    init(data: [UInt8]) throws {
        throw TokenizerError("precompiled_charsmap", "Precompiled normalizer not available yet")
    }

    func normalize(_ text: String) -> String { text }
}

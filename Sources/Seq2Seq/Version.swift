// The toolkit's version, printed by `seq2seq --version` and recorded in benchmark output.

/// The version of this Seq2Seq build.
public enum Seq2SeqVersion {
    /// Semantic version of the library and the `seq2seq` tool.
    public static let string = "0.6.0"
}

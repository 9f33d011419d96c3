// Which files of a Hub repository make a model folder this toolkit loads — an allow-list in the
// spirit of huggingface_hub's `snapshot_download(allow_patterns=…)`. PyTorch pickles, TensorFlow,
// Flax, ONNX and Rust weights, READMEs, images and subfolders are never fetched.

/// The files of a repository that a model folder needs.
public enum HubModelFiles {
    /// Top-level files fetched by name.
    static let names: Set<String> = [
        "config.json", "generation_config.json", "preprocessor_config.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "vocab.txt", "merges.txt", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model",
        "model.bin",
    ]

    /// Files a model folder may do without; their absence from a repository is recorded in the
    /// cache's `.no_exist` folder as huggingface_hub records it after asking for them.
    static let optionalNames = ["generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                "added_tokens.json", "preprocessor_config.json"]

    /// Whether the repository file `path` belongs in a model folder.
    public static func isWanted(_ path: String) -> Bool {
        guard !path.contains("/") else { return false }
        if names.contains(path) { return true }
        if path.hasSuffix(".safetensors") { return !path.hasPrefix("optimizer") }
        if path.hasSuffix(".safetensors.index.json") || path.hasSuffix(".spm") { return true }
        if path.hasPrefix("vocabulary.") { return true }
        // Marian binary folders (Firefox Translations): model*.bin, config*.yml, lex.*.bin.
        if path.hasPrefix("model") && path.hasSuffix(".bin") { return true }
        if path.hasPrefix("config") && (path.hasSuffix(".yml") || path.hasSuffix(".yaml")) { return true }
        return path.hasPrefix("lex.") && path.hasSuffix(".bin")
    }

    /// The wanted files among `paths`, sorted (configuration and tokenizer files before weights).
    public static func select(from paths: [String]) -> [String] {
        paths.filter(isWanted).sorted { (isWeights($0) ? 1 : 0, $0) < (isWeights($1) ? 1 : 0, $1) }
    }

    /// Whether `paths` (already selected) hold weights this toolkit reads.
    public static func holdsWeights(_ paths: [String]) -> Bool { paths.contains(where: isWeights) }

    private static func isWeights(_ path: String) -> Bool { path.hasSuffix(".safetensors") || path.hasSuffix(".bin") }
}

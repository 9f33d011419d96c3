// Learns a byte-pair-encoding tokenizer from text, for models trained from scratch: words cut
// as SentencePiece cuts them ("▁" before each word), an alphabet chosen by character coverage
// with byte fallback for the rest, merges by the classic algorithm with incremental pair
// counts. Modelled on huggingface/tokenizers tokenizers/src/models/bpe/trainer.rs (pair index,
// lazy priority queue) and google/sentencepiece src/bpe_model_trainer.cc + trainer_interface.cc
// (character coverage, `max_sentencepiece_length`); the code is written anew here.
import Foundation

/// Learns a BPE tokenizer from training text — one joint vocabulary for source and target.
///
/// ```swift
/// let trainer = BPETrainer(vocabularySize: 8000)
/// let tokenizer = try trainer.train(files: [sourceText, targetText])
/// try tokenizer.save(to: folder)                  // tokenizer.json + tokenizer_config.json
/// let ids = try tokenizer.encode("Hello world")   // ends with 1, the id of </s>
/// ```
///
/// The result is a `tokenizer.json` pipeline that `HuggingFaceTokenizer`, Hugging Face
/// `tokenizers` and `transformers.AutoTokenizer` all load and encode identically:
/// - normalizer NFKC (or none), pre-tokenizer Metaspace (`▁`, `prepend_scheme: "always"`,
///   split on spaces), model BPE, post-processor appending `endOfSequenceToken`, decoder
///   Metaspace → ByteFallback → Fuse;
/// - ids: `specialTokens` first in the order given, then `userTokens`, then the 256 byte
///   tokens `<0x00>` … `<0xFF>` (with `byteFallback`), then the alphabet (`▁` first, then
///   the other characters by falling frequency, ties by code point), then one token per merge
///   in the order learned.
///
/// Training counts the words of the text as that pipeline cuts it (special and user tokens
/// written in the text are split out, never part of a word); keeps as the alphabet the most
/// frequent characters that together make up `characterCoverage` of all character
/// occurrences (rarer ones become byte tokens when encoded, and no merge spans them); then
/// repeatedly merges the most frequent adjacent pair of tokens. Ties go to the pair whose left
/// token is smallest, then whose right token is smallest, comparing UTF-8 bytes (code point
/// order, so ASCII before `▁`). Training is deterministic: the same text and settings give the
/// same file byte for byte.
public struct BPETrainer: Sendable {
    /// Size of the vocabulary, special, user and byte tokens included. Training stops earlier
    /// (a smaller vocabulary) only when no pair occurs `minimumFrequency` times any more.
    public var vocabularySize: Int
    /// Pairs occurring fewer times than this are never merged. Default 2.
    public var minimumFrequency = 2
    /// The share of character occurrences the alphabet covers; 1 keeps every character.
    /// Default 0.9995, as SentencePiece's `character_coverage` (rarer characters are encoded as
    /// bytes with `byteFallback`, else as `unknownToken`).
    public var characterCoverage = 0.9995
    /// Whether the tokenizer NFKC-normalizes text (tokenizer.json normalizer `NFKC`; else none).
    public var nfkc = true
    /// Whether the 256 byte tokens are in the vocabulary so that no text is unknown. Default true.
    public var byteFallback = true
    /// The longest token a merge may make, in Unicode scalars (`▁` counts). Default 16, as
    /// SentencePiece's `max_sentencepiece_length`.
    public var maximumTokenLength = 16
    /// Special tokens, with ids 0, 1, … in this order. Default `<pad>`, `</s>`, `<unk>`, `<s>`.
    public var specialTokens = ["<pad>", "</s>", "<unk>", "<s>"]
    /// Tokens that always stay whole but are not special (kept by `decode(skipSpecialTokens:)`);
    /// their ids follow the special tokens'. Default none.
    public var userTokens: [String] = []
    /// The unknown token (one of `specialTokens`); used only without `byteFallback`.
    public var unknownToken = "<unk>"
    /// The padding token named in tokenizer_config.json, if any (one of `specialTokens`).
    public var padToken: String? = "<pad>"
    /// The beginning-of-sequence token named in tokenizer_config.json, if any (one of
    /// `specialTokens`); `encode` does not add it.
    public var beginOfSequenceToken: String? = "<s>"
    /// The token `encode` appends to every sequence, if any (one of `specialTokens`).
    public var endOfSequenceToken: String? = "</s>"

    /// A trainer for a vocabulary of `vocabularySize` tokens with the default settings.
    public init(vocabularySize: Int = 8000) {
        self.vocabularySize = vocabularySize
    }

    /// A trainer of a character vocabulary (`seq2seq train --tokenizer char`): no merge, so every
    /// character of the text is one token and `▁` one more before each word; the alphabet keeps
    /// every character seen, and byte fallback covers the rest. The file is the same
    /// `tokenizer.json` pipeline (a BPE model without merges).
    public static func characters() -> BPETrainer {
        var trainer = BPETrainer(vocabularySize: 1 << 20)
        trainer.maximumTokenLength = 1
        trainer.characterCoverage = 1
        return trainer
    }

    /// Learns a tokenizer from lines of text.
    public func train<Lines: Sequence>(lines: Lines) throws -> TrainedBPETokenizer where Lines.Element: StringProtocol {
        try validate()
        var counter = WordCounter(nfkc: nfkc, addedTokens: specialTokens + userTokens)
        for line in lines {
            var text = String(line)
            text.withUTF8 { counter.add(line: $0) }
        }
        return try learn(from: counter)
    }

    /// Learns a tokenizer from UTF-8 text files, each read as lines (split at "\n"; a "\r"
    /// before it is dropped).
    public func train(files: [URL]) throws -> TrainedBPETokenizer {
        try validate()
        var counter = WordCounter(nfkc: nfkc, addedTokens: specialTokens + userTokens)
        for file in files {
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw TokenizerError(file.path, FileManager.default.fileExists(atPath: file.path) ? "cannot read" : "missing file")
            }
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                var start = 0
                while start < bytes.count {
                    var end = start
                    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                    let stop = end > start && bytes[end - 1] == 0x0D ? end - 1 : end
                    counter.add(line: UnsafeBufferPointer(rebasing: bytes[start..<stop]))
                    start = end + 1
                }
            }
        }
        return try learn(from: counter)
    }

    /// Throws when the settings cannot make a tokenizer.
    private func validate() throws {
        func fail(_ problem: String) -> TokenizerError { TokenizerError("BPETrainer", problem) }
        let reserved = specialTokens + userTokens
        if reserved.contains(where: \.isEmpty) { throw fail("special and user tokens must not be empty") }
        if Set(reserved.map { Array($0.utf8) }).count != reserved.count {
            throw fail("special and user tokens must be distinct: \(reserved)")
        }
        for (role, token) in [("unknownToken", unknownToken), ("padToken", padToken), ("beginOfSequenceToken", beginOfSequenceToken),
                              ("endOfSequenceToken", endOfSequenceToken)] {
            if let token, !specialTokens.contains(where: { Array($0.utf8) == Array(token.utf8) }) {
                throw fail("\(role) \"\(token)\" is not one of specialTokens \(specialTokens)")
            }
        }
        let minimum = reserved.count + (byteFallback ? 256 : 0) + 1
        if vocabularySize < minimum {
            throw fail("vocabularySize \(vocabularySize) leaves no room for an alphabet (at least \(minimum))")
        }
        if !(characterCoverage > 0 && characterCoverage <= 1) { throw fail("characterCoverage \(characterCoverage) is not in (0, 1]") }
        if minimumFrequency < 1 { throw fail("minimumFrequency \(minimumFrequency) is below 1") }
        if maximumTokenLength < 1 { throw fail("maximumTokenLength \(maximumTokenLength) is below 1") }
    }

    /// Chooses the alphabet, learns the merges and builds the tokenizer.
    private func learn(from counter: WordCounter) throws -> TrainedBPETokenizer {
        var vocabulary = TrainingVocabulary()
        for token in specialTokens + userTokens { vocabulary.add(Array(token.utf8), length: token.unicodeScalars.count) }
        if byteFallback { for b in 0...255 { vocabulary.add(Array(byteToken(UInt8(b)).utf8), length: 6) } }
        vocabulary.reserveAll()
        var characterIds: [UInt32: Int32] = [:]
        for c in alphabet(counter.bodies, room: vocabularySize - vocabulary.count) {
            let bytes = Array(String(Character(c)).utf8)
            if vocabulary.ids[bytes] != nil { continue }
            characterIds[c.value] = vocabulary.add(bytes, length: 1)
        }
        var learner = MergeLearner(words: words(counter.bodies, characterIds: characterIds), vocabulary: vocabulary,
                                   minimumFrequency: minimumFrequency, maximumTokenLength: maximumTokenLength)
        learner.run(untilVocabularySize: vocabularySize)
        let tokens = learner.vocabulary.tokens.map { String(decoding: $0, as: UTF8.self) }
        return try TrainedBPETokenizer(trainer: self, vocabulary: tokens,
                                       merges: learner.merges.map { (tokens[Int($0.0)], tokens[Int($0.1)]) })
    }

    /// `▁`, then the characters by falling frequency (ties: smaller code point first) until
    /// they cover `characterCoverage` of all occurrences or `room` is used up.
    private func alphabet(_ bodies: ByteStringTable, room: Int) -> [Unicode.Scalar] {
        var counts: [UInt32: Int] = [:]
        var covered = bodies.counts.reduce(0, +)  // one ▁ per word
        var total = covered
        for k in 0..<bodies.count {
            let n = bodies.counts[k]
            forEachScalar(bodies.key(k)) { c in
                counts[c.value, default: 0] += n
                total += n
            }
        }
        var kept: [Unicode.Scalar] = [metaspace]
        let ranked = counts.filter { $0.key != metaspace.value }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        for (scalar, n) in ranked {
            if kept.count >= room || Double(covered) >= characterCoverage * Double(total) { break }
            if let c = Unicode.Scalar(scalar) { kept.append(c) }
            covered += n
        }
        return kept
    }

    /// The training words: `▁` + each body as alphabet ids, cut into separate words at
    /// characters outside the alphabet (encoded as bytes, they never merge with a neighbour).
    private func words(_ bodies: ByteStringTable, characterIds: [UInt32: Int32]) -> TrainingWords {
        var words = TrainingWords()
        var symbols: [Int32] = []
        for k in 0..<bodies.count {
            symbols.removeAll(keepingCapacity: true)
            if let space = characterIds[metaspace.value] { symbols.append(space) }
            forEachScalar(bodies.key(k)) { c in
                if let id = characterIds[c.value] {
                    symbols.append(id)
                } else {
                    if symbols.count > 1 { words.append(symbols, count: bodies.counts[k]) }
                    symbols.removeAll(keepingCapacity: true)
                }
            }
            if symbols.count > 1 { words.append(symbols, count: bodies.counts[k]) }
        }
        return words
    }
}

/// The Metaspace replacement character.
private let metaspace: Unicode.Scalar = "\u{2581}"

/// Calls `body` with each scalar of valid UTF-8 `bytes`.
private func forEachScalar(_ bytes: ArraySlice<UInt8>, _ body: (Unicode.Scalar) -> Void) {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while case .scalarValue(let c) = decoder.decode(&iterator) { body(c) }
}

// German→English training pairs from the FreeDict German–English dictionary (Debian
// `dict-freedict-deu-eng`, FreeDict 1.9-fd1, made from TU Chemnitz's Ding list by
// ding2tei and rendered to dictd by FreeDict's tei2dict). The entry layout read here was
// studied on that package (2022.04.21-1):
//
//   Haus /hˈaʊs/ <neut, n, sg>                      headword, IPA, grammar
//   home <n>                                        the translation line (one per entry)
//         "zu Hause bleiben"  - stay home           examples
//         "Er lebt nicht zu Hause."  - He lives away from home.
//      Synonym: {Zuhause}                           cross references, notes
//    see: {daheim bleiben}
//
// Rules (see `FreeDictExtractor`):
//   Headword: the text before the pronunciation " /…/" (the first " /X/" with X not starting
//     with a space and followed by a space or the end; headwords may hold " / " themselves);
//     without one, the line minus trailing <…> groups.
//   Sentence entry: at least two words and ending in "!" or "?" — or in a single "." when it
//     starts with an upper-case letter, a digit or "…" and the last word is not an
//     abbreviation (etw., jdn., jdm., usw., …): "Das Auto kam ins Schleudern." is a sentence,
//     "abgesehen von etw." is not. Optionally (`minimumPhraseWords`) any headword of at least
//     that many words counts too. Every other entry is a word/phrase entry.
//   English side: from the translation line drop <…> (grammar), […] (labels such as [Br.],
//     [fig.], [ugs.]) and {…} groups, pronunciations " /…/" of glued abbreviations and the
//     abbreviations glued to the text ("dollar sign <n>$", "Kiss back.KB"); then split into
//     alternatives at ";" and, for sentences, at ", " after . ! ? … : ("Keep cool., Keep in a
//     cool place."), for words at every top-level ", " ("randomize, randomise data"); the
//     first alternative is kept. Parentheses and slashes ("(alone)", "arse/ass") stay as the
//     dictionary writes them, on both sides. There are no numbered senses in this edition
//     (each sense is its own entry); a leading "1. " is stripped anyway.
//   Order and duplicates: entries in the order of the dictionary text (index order does not
//     matter), each entry once however many headwords point at it; sentence pairs unique by
//     German sentence (first kept), word pairs unique by (German, English).
import Foundation
import Seq2SeqTraining

/// One FreeDict entry split into its parts.
public struct FreeDictEntry: Sendable, Equatable {
    /// The German headword, without pronunciation and grammar.
    public let headword: String
    /// The translation line with its whitespace collapsed, labels, grammar and alternatives
    /// still in it; empty when the entry has none.
    public let translation: String
    /// The lines after the headword line.
    private let body: Substring

    /// Parses an entry's text; nil when it has no headword line.
    public init?(text: String) {
        let (first, rest) = Self.splitLine(text[...])
        headword = Self.headword(of: first)
        guard !headword.isEmpty else { return nil }
        let second = Self.splitLine(rest).line
        translation = Self.isStructureLine(second) ? "" : collapsedWhitespace(second)
        body = rest
    }

    /// The example pairs: German example, raw English translations (parsed on demand).
    public var examples: [TextPair] {
        body.split(separator: "\n").compactMap { Self.example($0) }
    }

    /// The text up to the first newline, and the text after it.
    private static func splitLine(_ text: Substring) -> (line: Substring, rest: Substring) {
        guard let newline = text.utf8.firstIndex(of: UInt8(ascii: "\n")) else { return (text, text[text.endIndex...]) }
        return (text[..<newline], text[text.index(after: newline)...])
    }

    /// The text of a headword line before its pronunciation (or before trailing <…> groups).
    static func headword(of line: Substring) -> String {
        let chars = Array(line.unicodeScalars)
        var i = 0
        while i + 2 < chars.count {
            if chars[i] == " ", chars[i + 1] == "/", !chars[i + 2].isSpace, chars[i + 2] != "/",
               let close = chars[(i + 2)...].firstIndex(of: "/"),
               close + 1 == chars.count || chars[close + 1].isSpace {
                return collapsedWhitespace(String(String.UnicodeScalarView(chars[..<i])))
            }
            i += 1
        }
        var end = chars.count
        while let last = chars[..<end].lastIndex(where: { !$0.isSpace }), chars[last] == ">",
              let open = chars[..<last].lastIndex(of: "<") {
            end = open
        }
        return collapsedWhitespace(String(String.UnicodeScalarView(chars[..<end])))
    }

    private static func isStructureLine(_ line: Substring) -> Bool {
        let trimmed = line.drop { $0 == " " }
        return trimmed.isEmpty || trimmed.hasPrefix("\"") || trimmed.hasPrefix("Synonym") || trimmed.hasPrefix("see:")
            || trimmed.hasPrefix("Note:")
    }

    /// `      "German"  - English` → the pair; nil for other lines.
    private static func example(_ line: Substring) -> TextPair? {
        let trimmed = line.drop { $0 == " " }
        guard trimmed.hasPrefix("\""), let separator = trimmed.range(of: "\"  - ") else { return nil }
        let german = collapsedWhitespace(trimmed[trimmed.index(after: trimmed.startIndex) ..< separator.lowerBound])
        let english = collapsedWhitespace(trimmed[separator.upperBound...])
        guard !german.isEmpty, !english.isEmpty else { return nil }
        return TextPair(source: german, target: english)
    }
}

/// What to extract from FreeDict.
public struct FreeDictExtractionOptions: Sendable, Equatable {
    /// Also count headwords of at least this many words as sentences (the phrase rule
    /// "≥ 3 words" gives ~53,000 pairs, mostly infinitive phrases such as "jdn. in die Enge
    /// treiben" → "corner sb."); nil (default) for sentences only.
    public var minimumPhraseWords: Int?
    /// Also take the example sentences inside entries ("Er lebt nicht zu Hause."  - He lives
    /// away from home.) as sentence pairs when their German side is a sentence. Default false.
    public var includeExamples: Bool

    /// Options with the defaults above.
    public init(minimumPhraseWords: Int? = nil, includeExamples: Bool = false) {
        self.minimumPhraseWords = minimumPhraseWords
        self.includeExamples = includeExamples
    }
}

/// The pairs extracted from FreeDict and how many entries fed them.
public struct FreeDictPairs: Sendable {
    /// German sentence → English sentence, unique by German sentence, dictionary order.
    public var sentences: [TextPair] = []
    /// German word or phrase → English word or phrase, unique pairs, dictionary order.
    public var words: [TextPair] = []
    /// Distinct entries read (metadata entries excluded).
    public var entryCount = 0
    /// Entries that are sentences by the rules.
    public var sentenceEntryCount = 0
    /// Sentence pairs taken from examples (with `includeExamples`).
    public var examplePairCount = 0
    /// Entries without a usable English side.
    public var untranslatedCount = 0
    /// Sentence pairs dropped because their German sentence was already taken.
    public var duplicateSentenceCount = 0
    /// Entries that are not valid UTF-8.
    public var invalidEntryCount = 0
}

/// Turns FreeDict entries into German→English pairs; the rules are at the top of this file.
public enum FreeDictExtractor {
    /// Sentence and word pairs of a FreeDict German–English dictionary.
    public static func extract(from dictionary: DictdDictionary,
                               options: FreeDictExtractionOptions = FreeDictExtractionOptions()) -> FreeDictPairs {
        var result = FreeDictPairs()
        var seenSentences = Set<String>(), seenWords = Set<TextPair>()
        func addSentence(_ german: String, _ english: String?) {
            guard let english else { return }
            if seenSentences.insert(german).inserted {
                result.sentences.append(TextPair(source: german, target: english))
            } else {
                result.duplicateSentenceCount += 1
            }
        }
        for entry in distinctEntries(of: dictionary) {
            guard let text = dictionary.text(of: entry) else { result.invalidEntryCount += 1; continue }
            guard let parsed = FreeDictEntry(text: text), !parsed.headword.isEmpty else { continue }
            result.entryCount += 1
            let sentence = isSentence(parsed.headword, minimumPhraseWords: options.minimumPhraseWords)
            let english = englishAlternatives(parsed.translation, sentence: sentence).first
            if english == nil { result.untranslatedCount += 1 }
            if sentence {
                result.sentenceEntryCount += 1
                addSentence(parsed.headword, english)
            } else if let english, seenWords.insert(TextPair(source: parsed.headword, target: english)).inserted {
                result.words.append(TextPair(source: parsed.headword, target: english))
            }
            guard options.includeExamples else { continue }
            for example in parsed.examples where isSentence(example.source) {
                let before = result.sentences.count
                addSentence(example.source, englishAlternatives(example.target, sentence: true).first)
                result.examplePairCount += result.sentences.count - before
            }
        }
        return result
    }

    /// The index entries with distinct byte ranges, in the order of the dictionary text,
    /// metadata excluded.
    static func distinctEntries(of dictionary: DictdDictionary) -> [DictdDictionary.Entry] {
        var seen = Set<Int>()
        return dictionary.entries
            .filter { !$0.isMetadata }
            .sorted { ($0.offset, $0.length) < ($1.offset, $1.length) }
            .filter { seen.insert($0.offset).inserted }
    }

    /// German abbreviations (and English placeholders) that end a phrase with a "." that is
    /// not a full stop.
    static let abbreviations: Set<String> = [
        "etw.", "jdn.", "jdm.", "jds.", "jd.", "usw.", "bzw.", "etc.", "sth.", "sb.", "o.ä.", "u.ä.", "u.a.",
        "z.b.", "d.h.", "ca.", "vgl.", "bzgl.", "evtl.", "ggf.", "jh.", "co.", "nr.", "s.", "str.", "h.", "ff.", "f.",
    ]
    private static let closers: Set<Unicode.Scalar> = ["\"", "”", "“", "»", "«", "'", "’", ")"]
    private static let sentenceEnds: Set<Unicode.Scalar> = [".", "!", "?", "…"]

    /// Whether a German headword is a sentence (rules at the top of this file).
    public static func isSentence(_ german: String, minimumPhraseWords: Int? = nil) -> Bool {
        let words = german.unicodeScalars.split(whereSeparator: \.isSpace).map { String(String.UnicodeScalarView($0)) }
        guard words.count >= 2 else { return false }
        if let minimum = minimumPhraseWords, words.count >= minimum { return true }
        var core = german.unicodeScalars[...]
        while let last = core.last, closers.contains(last) { core = core.dropLast() }
        if core.last == "!" || core.last == "?" { return true }
        guard core.last == ".", core.dropLast().last != "." else { return false }
        let lastWord = String(String.UnicodeScalarView(words[words.count - 1].unicodeScalars.filter { !closers.contains($0) }))
            .lowercased()
        let lastTwo = (words[words.count - 2] + lastWord).lowercased()   // "o. ä." as "o.ä."
        if abbreviations.contains(lastTwo) || lastWord.split(separator: "/").contains(where: { abbreviations.contains(String($0)) }) {
            return false
        }
        if german.hasPrefix("…") { return true }
        guard let first = german.unicodeScalars.first(where: { !"…., „\"“'»«(".unicodeScalars.contains($0) }) else { return false }
        return first.properties.isUppercase || ("0"..."9").contains(first)
    }

    /// The cleaned English alternatives of a translation line, in order (rules at the top of
    /// this file); `sentence` splits only between whole sentences.
    public static func englishAlternatives(_ line: String, sentence: Bool) -> [String] {
        var chars = removingGroups(Array(line.unicodeScalars))
        chars = removingPronunciations(chars)
        if sentence { chars = removingGluedAbbreviations(chars) }
        chars = removingSenseNumber(chars)
        return splitAlternatives(chars, sentence: sentence)
            .map(tidy)
            .filter { $0.unicodeScalars.contains { $0.isLetterOrDigit } }
    }

    /// Drops <…>, […] and {…} groups, and text glued right after a ">" (an abbreviation).
    private static func removingGroups(_ chars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(chars.count)
        var i = 0
        while i < chars.count {
            let close: Unicode.Scalar? = chars[i] == "<" ? ">" : chars[i] == "[" ? "]" : chars[i] == "{" ? "}" : nil
            guard let close, let end = chars[(i + 1)...].firstIndex(of: close) else {
                out.append(chars[i])
                i += 1
                continue
            }
            out.append(" ")
            i = end + 1
            if close == ">" {
                while i < chars.count, !chars[i].isSpace, chars[i] != ",", chars[i] != ";" { i += 1 }
            }
        }
        return out
    }

    /// Drops " /IPA/" segments (pronunciations of glued abbreviations).
    private static func removingPronunciations(_ chars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(chars.count)
        var i = 0
        while i < chars.count {
            if chars[i] == "/", i == 0 || chars[i - 1].isSpace, i + 1 < chars.count,
               !chars[i + 1].isSpace, chars[i + 1] != "/",
               let close = chars[(i + 1)...].firstIndex(of: "/"),
               close + 1 == chars.count || chars[close + 1].isSpace || chars[close + 1] == "," {
                i = close + 1
                continue
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }

    /// Drops abbreviations glued to a sentence: any run right after "!" or "?" ("Am I
    /// Jesus?AIJ"), and an upper-case run of two or more letters, digits or "&" right after "."
    /// ("Kiss back.KB"; "8 a.m." and "B.C." stay).
    private static func removingGluedAbbreviations(_ chars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(chars.count)
        var i = 0
        while i < chars.count {
            out.append(chars[i])
            i += 1
            guard sentenceEnds.contains(chars[i - 1]), i < chars.count else { continue }
            var j = i
            while j < chars.count, !chars[j].isSpace, chars[j] != ",", chars[j] != ";" { j += 1 }
            let run = chars[i..<j]
            guard let head = run.first, !sentenceEnds.contains(head), !closers.contains(head), head != "]" else { continue }
            let glued = chars[i - 1] == "."
                ? run.count >= 2 && head.properties.isUppercase && run.allSatisfy { $0.isLetterOrDigit || $0 == "&" }
                : chars[i - 1] != "…"
            if glued { i = j }
        }
        return out
    }

    /// Drops a leading sense number "1. ".
    private static func removingSenseNumber(_ chars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let text = chars.drop { $0.isSpace }
        let digits = text.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, text.dropFirst(digits.count).starts(with: [".", " "]) else { return chars }
        return Array(text.dropFirst(digits.count + 2))
    }

    /// Splits at top-level ";" and ",": every "," for words, only after . ! ? … : for sentences.
    private static func splitAlternatives(_ chars: [Unicode.Scalar], sentence: Bool) -> [[Unicode.Scalar]] {
        var parts: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var depth = 0
        for c in chars {
            if c == "(" { depth += 1 }
            if c == ")" { depth = max(0, depth - 1) }
            if depth == 0, c == ";" || (c == "," && (!sentence || endsSentence(current))) {
                parts.append(current)
                current = []
                continue
            }
            current.append(c)
        }
        parts.append(current)
        return parts
    }

    private static func endsSentence(_ chars: [Unicode.Scalar]) -> Bool {
        guard chars.contains(where: \.isLetterOrDigit), let last = chars.last(where: { !$0.isSpace }) else { return false }
        return sentenceEnds.contains(last) || last == ":"
    }

    /// Collapses whitespace, drops spaces before , . ! ? ; : and trims spaces and commas.
    private static func tidy(_ chars: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var space = false
        for c in chars {
            if c.isSpace {
                space = true
            } else {
                if space, !out.isEmpty, !",.!?;:".unicodeScalars.contains(c) { out.append(" ") }
                space = false
                out.append(c)
            }
        }
        return String(out).trimmingCharacters(in: CharacterSet(charactersIn: " ,;"))
    }
}

extension Unicode.Scalar {
    /// White space, with an ASCII fast path.
    fileprivate var isSpace: Bool {
        value == 0x20 || value == 0x09 || (value > 0x7F && properties.isWhitespace)
    }

    /// A letter or a digit, with an ASCII fast path.
    fileprivate var isLetterOrDigit: Bool {
        if value < 0x80 {
            return ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
        }
        return properties.isAlphabetic || properties.numericType != nil
    }
}

/// Runs of whitespace to single spaces, ends trimmed.
func collapsedWhitespace<S: StringProtocol>(_ text: S) -> String {
    var out = String.UnicodeScalarView()
    var space = false
    for c in text.unicodeScalars {
        if c.isSpace {
            space = !out.isEmpty
        } else {
            if space { out.append(" ") }
            space = false
            out.append(c)
        }
    }
    return String(out)
}

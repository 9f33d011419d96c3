// Translation edit rate (Snover et al., 2006) exactly as sacreBLEU 2.x computes it — ported
// from sacreBLEU 2.x's `sacrebleu/metrics/ter.py` (`TER`: statistics per segment, the best
// reference's edits over the average reference length), `sacrebleu/metrics/lib_ter.py`
// (`translation_edit_rate`, `_shift`, `_find_shifted_pairs`, `_perform_shift`,
// `trace_to_alignment`, `BeamEditDistance`: Tercom's greedy block shifts over a beam edit
// distance around the length-scaled diagonal) and `sacrebleu/tokenizers/tokenizer_ter.py`
// (`TercomTokenizer` with its defaults: lowercase, whitespace runs joined, no normalisation).
//
// sacreBLEU caches edit-distance rows in a trie of hypothesis prefixes; here each shift
// candidate restarts from the rows of the hypothesis it was shifted from, up to the prefix
// they share. Both compute the same cells (every candidate has the hypothesis' length, so the
// same beam), so the edits are the same.
import Foundation

/// sacreBLEU-compatible TER with its defaults: case-insensitive, `tercom` tokenization (words
/// split on whitespace), no punctuation removal, no Asian-script normalisation.
///
///     let ter = try TER().corpusScore(hypotheses: outputs, references: [references])
///     print(ter)          // TER = 58.63
public struct TER: Sendable {
    /// Compare words with their case (sacreBLEU's `case_sensitive`; default false: lowercase
    /// both sides first, as Python's `str.lower()` does).
    public var caseSensitive: Bool

    /// sacreBLEU's defaults.
    public init(caseSensitive: Bool = false) {
        self.caseSensitive = caseSensitive
    }

    /// Corpus TER: each segment's fewest edits over its references, summed, over the sum of
    /// the segments' average reference lengths. `references` holds one or more reference
    /// streams with one line per hypothesis; throws `EvaluationError` when lengths differ.
    public func corpusScore(hypotheses: [String], references: [[String]]) throws -> TERScore {
        try EvaluationError.checkLengths(hypotheses: hypotheses.count, references: references.map(\.count))
        var edits = 0, referenceLength = 0.0
        for (i, hypothesis) in hypotheses.enumerated() {
            let segment = statistics(hypothesis, references: references.map { $0[i] })
            edits += segment.edits
            referenceLength += segment.referenceLength
        }
        return TERScore(edits: edits, referenceLength: referenceLength)
    }

    /// TER of one hypothesis against its references.
    public func sentenceScore(hypothesis: String, references: [String]) -> TERScore {
        let segment = statistics(hypothesis, references: references)
        return TERScore(edits: segment.edits, referenceLength: segment.referenceLength)
    }

    /// The fewest edits over the references, and the references' average length in words.
    private func statistics(_ hypothesis: String, references: [String]) -> (edits: Int, referenceLength: Double) {
        var vocabulary: [[UInt32]: Int] = [:]
        func words(_ line: String) -> [Int] {
            var text = Array(PythonText.strip(PythonText.codePoints(line), trailingOnly: true))
            if !caseSensitive { text = PythonText.lowercased(text) }
            return PythonText.split(text).map { word in
                if let id = vocabulary[word] { return id }
                vocabulary[word] = vocabulary.count
                return vocabulary.count - 1
            }
        }
        let hypothesisWords = words(hypothesis)
        var best = Int.max, lengths = 0
        for reference in references {
            let (edits, length) = TercomAlignment.editsAndLength(hypothesisWords, words(reference))
            lengths += length
            best = min(best, edits)
        }
        return (best, Double(lengths) / Double(max(references.count, 1)))
    }
}

/// Tercom's edit count of a hypothesis against one reference, on word ids.
enum TercomAlignment {
    /// Tercom's limits: words in a shifted block, distance a block may move, the edit-distance
    /// beam around the diagonal; sacreBLEU's limit on the shift candidates tried per segment.
    static let maxShiftSize = 10, maxShiftDistance = 50, beamWidth = 25, maxShiftCandidates = 1000

    /// (edits including shifts, reference length) — `translation_edit_rate`.
    static func editsAndLength(_ hypothesis: [Int], _ reference: [Int]) -> (Int, Int) {
        if reference.isEmpty { return (hypothesis.count, 0) }
        let distance = BeamEditDistance(reference: reference, hypothesisLength: hypothesis.count)
        var words = hypothesis, shifts = 0, checked = 0
        while true {
            let (gain, shifted) = bestShift(words, reference, distance, checked: &checked)
            if checked >= maxShiftCandidates || gain <= 0 { break }
            shifts += 1
            words = shifted
        }
        return (shifts + distance.rows(words).cost, reference.count)
    }

    /// The shift that lowers the edit distance most, and by how much (`_shift`): candidates
    /// ranked by gain, then block length, then the earlier block, then the earlier target.
    private static func bestShift(_ words: [Int], _ reference: [Int], _ distance: BeamEditDistance,
                                  checked: inout Int) -> (Int, [Int]) {
        let base = distance.rows(words)
        let (align, referenceErrors, hypothesisErrors) = alignment(base.trace)
        var best: (gain: Int, length: Int, start: Int, target: Int)?
        var bestWords = words
        pairs: for (start, referenceStart, length) in matchingBlocks(words, reference) {
            if !hypothesisErrors[start..<start + length].contains(true) { continue }
            if !referenceErrors[referenceStart..<referenceStart + length].contains(true) { continue }
            if start <= align[referenceStart] && align[referenceStart] < start + length { continue }
            var previous = -1
            for offset in -1..<length {
                let target: Int
                if referenceStart + offset == -1 {
                    target = 0
                } else if referenceStart + offset < align.count {
                    target = align[referenceStart + offset] + 1
                } else {
                    break
                }
                if target == previous { continue }
                previous = target
                let shifted = shift(words, start: start, length: length, to: target)
                let gain = base.cost - distance.cost(shifted, reusing: base, from: words)
                checked += 1
                let candidate = (gain: gain, length: length, start: -start, target: -target)
                if best == nil || candidate > best! {
                    best = candidate
                    bestWords = shifted
                }
            }
            if checked >= maxShiftCandidates { break pairs }
        }
        return best.map { ($0.gain, bestWords) } ?? (0, words)
    }

    /// Blocks of equal words (hypothesis start, reference start, length), every length from 1
    /// up to the match's, in Tercom's order (`_find_shifted_pairs`).
    private static func matchingBlocks(_ words: [Int], _ reference: [Int]) -> [(Int, Int, Int)] {
        var blocks: [(Int, Int, Int)] = []
        for start in words.indices {
            for referenceStart in reference.indices where abs(referenceStart - start) <= maxShiftDistance {
                var length = 0
                while length < maxShiftSize && words[start + length] == reference[referenceStart + length] {
                    length += 1
                    blocks.append((start, referenceStart, length))
                    if start + length == words.count || referenceStart + length == reference.count { break }
                }
            }
        }
        return blocks
    }

    /// `words` with the block `start..<start+length` moved before position `target` of the
    /// original (`_perform_shift`, with Python's clamped slices).
    static func shift(_ words: [Int], start: Int, length: Int, to target: Int) -> [Int] {
        func slice(_ from: Int, _ to: Int) -> ArraySlice<Int> {
            let a = min(max(from, 0), words.count), b = min(max(to, a), words.count)
            return words[a..<b]
        }
        let block = slice(start, start + length)
        if target < start {
            return Array(slice(0, target) + block + slice(target, start) + slice(start + length, words.count))
        } else if target > start + length {
            return Array(slice(0, start) + slice(start + length, target) + block + slice(target, words.count))
        }
        return Array(slice(0, start) + slice(start + length, length + target) + block + slice(length + target, words.count))
    }

    /// From the trace rewriting the hypothesis into the reference: for each reference position
    /// the hypothesis position aligned with it (−1 before the first), and which reference and
    /// hypothesis words are errors (`trace_to_alignment` of the flipped trace).
    private static func alignment(_ trace: [EditOperation]) -> ([Int], [Bool], [Bool]) {
        var align: [Int] = [], referenceErrors: [Bool] = [], hypothesisErrors: [Bool] = []
        var hypothesisPosition = -1
        for operation in trace {
            switch operation {
            case .match, .substitute:
                hypothesisPosition += 1
                align.append(hypothesisPosition)
                let error = operation == .substitute
                hypothesisErrors.append(error)
                referenceErrors.append(error)
            case .delete:   // a hypothesis word the reference lacks (an insertion, flipped)
                hypothesisPosition += 1
                hypothesisErrors.append(true)
            case .insert:   // a reference word the hypothesis lacks (a deletion, flipped)
                align.append(hypothesisPosition)
                referenceErrors.append(true)
            case .undefined:
                break
            }
        }
        return (align, referenceErrors, hypothesisErrors)
    }
}

/// One step of the edit trace, read from the hypothesis to the reference.
enum EditOperation: UInt8 {
    case match, substitute, insert, delete, undefined
}

/// The beam edit distance of `BeamEditDistance._edit_distance`: rows per hypothesis word,
/// cells only within the beam around the diagonal scaled by the length ratio (the last row in
/// full); ties prefer match/substitution, then deletion, then insertion.
struct BeamEditDistance {
    static let infinity = 10_000_000_000_000_000

    let reference: [Int]
    let lengthRatio: Double
    let beam: Int

    init(reference: [Int], hypothesisLength: Int) {
        self.reference = reference
        lengthRatio = hypothesisLength > 0 ? Double(reference.count) / Double(hypothesisLength) : 1
        beam = Double(TercomAlignment.beamWidth) < lengthRatio / 2
            ? Int((lengthRatio / 2 + Double(TercomAlignment.beamWidth)).rounded(.up)) : TercomAlignment.beamWidth
    }

    /// Every row's costs and operations (row-major, reference length + 1 columns), the cost
    /// and the trace.
    struct Rows {
        var costs: [Int]
        var operations: [EditOperation]
        var cost: Int
        var trace: [EditOperation]
    }

    /// The cells of row `i` (1-based hypothesis position) that are computed.
    private func columns(_ i: Int, of n: Int) -> Range<Int> {
        let diagonal = Int((Double(i) * lengthRatio).rounded(.down))
        let low = max(0, diagonal - beam)
        let high = i == n ? reference.count + 1 : min(reference.count + 1, diagonal + beam)
        return low..<max(low, high)
    }

    /// One row from the previous one.
    private func fill(row i: Int, word: Int, previous: UnsafeBufferPointer<Int>, costs: UnsafeMutableBufferPointer<Int>,
                      operations: UnsafeMutableBufferPointer<EditOperation>?, n: Int) {
        for j in costs.indices { costs[j] = Self.infinity }
        operations.map { for j in $0.indices { $0[j] = .undefined } }
        for j in columns(i, of: n) {
            if j == 0 {
                costs[0] = previous[0] + 1
                operations?[0] = .delete
                continue
            }
            let match = word == reference[j - 1]
            var best = previous[j - 1] + (match ? 0 : 1), operation = match ? EditOperation.match : .substitute
            if best >= Self.infinity { best = Self.infinity; operation = .undefined }
            if best > previous[j] + 1 { best = previous[j] + 1; operation = .delete }
            if best > costs[j - 1] + 1 { best = costs[j - 1] + 1; operation = .insert }
            costs[j] = best
            operations?[j] = operation
        }
    }

    /// The full matrix of `words`, its cost and trace.
    func rows(_ words: [Int]) -> Rows {
        let width = reference.count + 1, n = words.count
        var costs = [Int](repeating: Self.infinity, count: (n + 1) * width)
        var operations = [EditOperation](repeating: .undefined, count: (n + 1) * width)
        for j in 0..<width { costs[j] = j; operations[j] = .insert }
        costs.withUnsafeMutableBufferPointer { c in
            operations.withUnsafeMutableBufferPointer { o in
                for i in stride(from: 1, through: n, by: 1) {
                    fill(row: i, word: words[i - 1], previous: UnsafeBufferPointer(rebasing: c[(i - 1) * width..<i * width]),
                         costs: UnsafeMutableBufferPointer(rebasing: c[i * width..<(i + 1) * width]),
                         operations: UnsafeMutableBufferPointer(rebasing: o[i * width..<(i + 1) * width]), n: n)
                }
            }
        }
        var trace: [EditOperation] = []
        var i = n, j = reference.count
        while i > 0 || j > 0 {
            let operation = operations[i * width + j]
            trace.append(operation)
            switch operation {
            case .match, .substitute: i -= 1; j -= 1
            case .insert: j -= 1
            case .delete: i -= 1
            case .undefined: i = 0; j = 0
            }
        }
        return Rows(costs: costs, operations: operations, cost: costs[n * width + reference.count], trace: trace.reversed())
    }

    /// The cost of `words`, starting from the rows of `base` (computed for `original`) for the
    /// prefix the two share.
    func cost(_ words: [Int], reusing base: Rows, from original: [Int]) -> Int {
        let width = reference.count + 1, n = words.count
        var shared = 0
        while shared < n && shared < original.count && words[shared] == original[shared] { shared += 1 }
        if shared == n && original.count == n { return base.cost }
        var previous = Array(base.costs[shared * width..<(shared + 1) * width])
        var current = [Int](repeating: Self.infinity, count: width)
        for i in stride(from: shared + 1, through: n, by: 1) {
            previous.withUnsafeBufferPointer { p in
                current.withUnsafeMutableBufferPointer { c in
                    fill(row: i, word: words[i - 1], previous: p, costs: c, operations: nil, n: n)
                }
            }
            swap(&previous, &current)
        }
        return previous[reference.count]
    }
}

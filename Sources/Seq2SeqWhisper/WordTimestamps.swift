// Word timestamps from cross-attention — modelled on faster-whisper `transcribe.py`
// (`add_word_timestamps`, `find_alignment`, `merge_punctuations`), faster-whisper
// `tokenizer.py` (`split_to_word_tokens`) and CTranslate2 `src/models/whisper.cc` (`align`,
// `compute_alignments`), `src/ops/median_filter_cpu.cc` and `src/dtw.cc`: the alignment heads'
// cross-attention over the window's frames, normalized per frame across tokens, median
// filtered (width 7) along time, averaged over heads, then a monotonic path by dynamic time
// warping; a word starts where the path first reaches its first token.
import Foundation
import Seq2SeqModels
import Seq2SeqTensor

/// A word of one window with its tokens and times relative to the window.
struct WordTiming {
    var word: String
    var tokens: [Int]
    var start: Double, end: Double
    var probability: Float
}

extension Transcriber {
    /// Stage "word timestamps": aligns the window's text tokens with its frames, then gives each
    /// segment its words, trimming implausibly long words at pauses and sentence ends.
    func addWordTimestamps(_ segments: inout [WindowSegment], encoded: EncoderOutput, startSequence: [Int], frames: Int,
                           timeOffset: Double, language: String, options: TranscriptionOptions,
                           lastSpeechTimestamp: Double) throws {
        guard !segments.isEmpty else { return }
        let perSegment = segments.map { $0.tokens.filter { $0 < tokens.endOfText } }
        var alignment = try findAlignment(perSegment.flatMap { $0 }, encoded: encoded, startSequence: startSequence,
                                          frames: frames, language: language)
        let durations = alignment.map { $0.end - $0.start }.filter { $0 != 0 }.sorted()
        let median = min(0.7, durations.isEmpty ? 0 : (durations.count % 2 == 1 ? durations[durations.count / 2]
            : (durations[durations.count / 2 - 1] + durations[durations.count / 2]) / 2))
        let maxDuration = median * 2
        if !durations.isEmpty {
            let sentenceEnds = Set([".", "。", "!", "！", "?", "？"])
            for i in alignment.indices.dropFirst() where alignment[i].end - alignment[i].start > maxDuration {
                if sentenceEnds.contains(alignment[i].word) {
                    alignment[i].end = alignment[i].start + maxDuration
                } else if sentenceEnds.contains(alignment[i - 1].word) {
                    alignment[i].start = alignment[i].end - maxDuration
                }
            }
        }
        mergePunctuations(&alignment, prepended: options.prependPunctuations, appended: options.appendPunctuations)
        var wordIndex = 0, lastSpeech = lastSpeechTimestamp
        for s in segments.indices {
            var saved = 0
            var words: [TranscriptionWord] = []
            while wordIndex < alignment.count && saved < perSegment[s].count {
                let timing = alignment[wordIndex]
                if !timing.word.isEmpty {
                    words.append(TranscriptionWord(word: timing.word, start: round2(timeOffset + timing.start),
                                                   end: round2(timeOffset + timing.end), probability: timing.probability))
                }
                saved += timing.tokens.count
                wordIndex += 1
            }
            if !words.isEmpty {
                adjustEdges(&words, segment: &segments[s], median: median, maxDuration: maxDuration, lastSpeech: lastSpeech)
                lastSpeech = segments[s].end
            }
            segments[s].words = words
        }
    }

    /// The first and last words of a segment: cut when too long after a pause; the segment's
    /// own timestamps are preferred when a word overshoots them by more than 0.5 s.
    private func adjustEdges(_ words: inout [TranscriptionWord], segment: inout WindowSegment, median: Double,
                             maxDuration: Double, lastSpeech: Double) {
        if words[0].end - lastSpeech > median * 4 &&
            (words[0].end - words[0].start > maxDuration || (words.count > 1 && words[1].end - words[0].start > maxDuration * 2)) {
            if words.count > 1 && words[1].end - words[1].start > maxDuration {
                let boundary = max(words[1].end / 2, words[1].end - maxDuration)
                words[0].end = boundary
                words[1].start = boundary
            }
            words[0].start = max(0, words[0].end - maxDuration)
        }
        if segment.start < words[0].end && segment.start - 0.5 > words[0].start {
            words[0].start = max(0, min(words[0].end - median, segment.start))
        } else {
            segment.start = words[0].start
        }
        let last = words.count - 1
        if segment.end > words[last].start && segment.end + 0.5 < words[last].end {
            words[last].end = max(words[last].start + median, segment.end)
        } else {
            segment.end = words[last].end
        }
    }

    /// faster-whisper `find_alignment` over CTranslate2 `align`: words of `text` with times in the window.
    func findAlignment(_ text: [Int], encoded: EncoderOutput, startSequence: [Int], frames: Int,
                       language: String) throws -> [WordTiming] {
        guard !text.isEmpty, frames / 2 > 0 else { return [] }
        let input = startSequence + [tokens.noTimestamps] + text + [tokens.endOfText]
        let (weights, probabilities) = try alignmentWeights(input, encoded: encoded, frames: frames / 2)
        let offset = startSequence.count
        let rows = (offset...(offset + text.count)).map { weights[$0] }
        let path = negativeDTW(rows)
        let tokenProbs = (0..<text.count).map { probabilities[offset + $0] }
        let (words, wordTokens) = splitToWordTokens(text + [tokens.endOfText], language: language)
        guard wordTokens.count > 1 else { return [] }
        var boundaries = [0]
        for t in wordTokens.dropLast() { boundaries.append(boundaries[boundaries.count - 1] + t.count) }
        var jumpTimes: [Double] = []
        for (k, step) in path.enumerated() where k == 0 || step.i != path[k - 1].i {
            jumpTimes.append(Double(step.j) / 50)  // 50 encoder frames per second
        }
        return (0..<(boundaries.count - 1)).map { w in
            let (a, b) = (boundaries[w], boundaries[w + 1])
            let p = a < b ? tokenProbs[a..<b].reduce(0, +) / Float(b - a) : .nan
            return WordTiming(word: words[w], tokens: wordTokens[w], start: jumpTimes[min(a, jumpTimes.count - 1)],
                              end: jumpTimes[min(b, jumpTimes.count - 1)], probability: p)
        }
    }

    /// Per input position: the alignment heads' attention over the first `frames` encoder
    /// frames (renormalized, normalized across tokens, median filtered, averaged over heads),
    /// and the probability of the next input token among text tokens.
    private func alignmentWeights(_ input: [Int], encoded: EncoderOutput, frames n: Int) throws -> ([[Float]], [Float]) {
        let t = input.count, decoder = model.network.makeDecoder(for: encoded)
        var sum = [[Float]](repeating: [Float](repeating: 0, count: n), count: t)
        var probabilities = [Float](repeating: 0, count: t)
        for layer in Set(alignmentHeads.map(\.layer)).sorted() {
            try decoder.begin(rowsPerSource: 1)
            decoder.captureCrossAttentionLayer = layer
            let logits = try decoder.forward(tokens: [input], allPositions: true)
            if probabilities.allSatisfy({ $0 == 0 }) { probabilities = textTokenProbabilities(logits, next: Array(input.dropFirst()) + [0]) }
            guard let attention = decoder.capturedCrossAttention else { continue }  // [1, H, T, S]
            let (h, s) = (attention.shape[1], attention.shape[3])
            for head in alignmentHeads where head.layer == layer && head.head < h {
                var matrix = (0..<t).map { q -> [Float] in
                    let row = attention.data + (head.head * t + q) * s
                    let total = (0..<n).reduce(Float(0)) { $0 + row[$1] }
                    return (0..<n).map { total > 0 ? row[$0] / total : 0 }
                }
                normalizeAcrossTokens(&matrix)
                for q in 0..<t { medianFilter(&matrix[q], width: 7) }
                for q in 0..<t { for j in 0..<n { sum[q][j] += matrix[q][j] } }
            }
        }
        let count = Float(max(alignmentHeads.count, 1))
        return (sum.map { $0.map { $0 / count } }, probabilities)
    }

    /// Softmax over the text tokens (ids below `<|endoftext|>`) of each position's logits,
    /// read at the next input token.
    private func textTokenProbabilities(_ logits: Tensor, next: [Int]) -> [Float] {
        let v = logits.shape[1], text = tokens.endOfText
        return next.enumerated().map { q, id in
            let row = logits.data + q * v
            var m = -Float.infinity
            for i in 0..<text { m = max(m, row[i]) }
            var total: Float = 0
            for i in 0..<text { total += expf(row[i] - m) }
            return id < text ? expf(row[id] - m) / total : 0
        }
    }

    /// For each frame: (x - mean) / std across tokens (CTranslate2 `LayerNorm(-2, 0)`).
    private func normalizeAcrossTokens(_ m: inout [[Float]]) {
        let t = m.count
        guard t > 0 else { return }
        for j in m[0].indices {
            var mean: Float = 0
            for q in 0..<t { mean += m[q][j] }
            mean /= Float(t)
            var variance: Float = 0
            for q in 0..<t { variance += (m[q][j] - mean) * (m[q][j] - mean) }
            let std = (variance / Float(t)).squareRoot()
            for q in 0..<t { m[q][j] = (m[q][j] - mean) / std }
        }
    }

    /// Median of each `width` window along the row, reflecting at the edges (CTranslate2 `MedianFilter`).
    private func medianFilter(_ row: inout [Float], width: Int) {
        let depth = row.count, rank = width / 2
        guard depth > rank else { return }
        let source = row
        var window = [Float](repeating: 0, count: width)
        for j in 0..<depth {
            for k in -rank...rank {
                var read = abs(j + k)
                if read >= depth { read = depth - (read - depth) - 2 }
                window[k + rank] = source[read]
            }
            window.sort()
            row[j] = window[rank]
        }
    }

    /// The minimum-cost monotonic path through -x (CTranslate2 `negative_dtw`): (token, frame) steps.
    func negativeDTW(_ x: [[Float]]) -> [(i: Int, j: Int)] {
        let n = x.count, m = x.first?.count ?? 0
        var cost = [[Float]](repeating: [Float](repeating: .infinity, count: m + 1), count: n + 1)
        var trace = [[Int]](repeating: [Int](repeating: -1, count: m + 1), count: n + 1)
        cost[0][0] = 0
        for j in 1..<(m + 1) {
            for i in 1..<(n + 1) {
                let (c0, c1, c2) = (cost[i - 1][j - 1], cost[i - 1][j], cost[i][j - 1])
                let (c, t) = c0 < c1 && c0 < c2 ? (c0, 0) : (c1 < c0 && c1 < c2 ? (c1, 1) : (c2, 2))
                cost[i][j] = -x[i - 1][j - 1] + c
                trace[i][j] = t
            }
        }
        for k in 0...m { trace[0][k] = 2 }
        for k in 0...n { trace[k][0] = 1 }
        var (i, j) = (n, m)
        var path: [(i: Int, j: Int)] = []
        while i > 0 || j > 0 {
            path.append((i - 1, j - 1))
            switch trace[i][j] {
            case 0: i -= 1; j -= 1
            case 1: i -= 1
            default: j -= 1
            }
        }
        return path.reversed()
    }

    /// faster-whisper `split_to_word_tokens`: at spaces and punctuation, or at every complete
    /// character for languages written without spaces.
    func splitToWordTokens(_ ids: [Int], language: String) -> ([String], [[Int]]) {
        let (subwords, pieces) = splitOnUnicode(ids)
        if ["zh", "ja", "th", "lo", "my", "yue"].contains(language) { return (subwords, pieces) }
        let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  // Python's string.punctuation
        var words: [String] = [], wordTokens: [[Int]] = []
        for (subword, piece) in zip(subwords, pieces) {
            let trimmed = subword.trimmingCharacters(in: .whitespacesAndNewlines)
            if piece[0] >= tokens.endOfText || subword.hasPrefix(" ") || isSubstring(trimmed, of: punctuation) || words.isEmpty {
                words.append(subword)
                wordTokens.append(piece)
            } else {
                words[words.count - 1] += subword
                wordTokens[wordTokens.count - 1] += piece
            }
        }
        return (words, wordTokens)
    }

    /// Groups tokens until they decode to whole characters (faster-whisper `split_tokens_on_unicode`).
    private func splitOnUnicode(_ ids: [Int]) -> ([String], [[Int]]) {
        let full = Array(tokens.text(ids).unicodeScalars)
        var words: [String] = [], pieces: [[Int]] = [], current: [Int] = [], offset = 0
        for id in ids {
            current.append(id)
            let decoded = tokens.text(current)
            let scalars = Array(decoded.unicodeScalars)
            let bad = scalars.firstIndex(of: "\u{FFFD}").map { $0 + offset }
            if bad == nil || (bad! < full.count && full[bad!] == "\u{FFFD}") {
                words.append(decoded)
                pieces.append(current)
                current = []
                offset += scalars.count
            }
        }
        return (words, pieces)
    }

    /// faster-whisper `merge_punctuations`: opening punctuation joins the next word, closing the previous.
    private func mergePunctuations(_ a: inout [WordTiming], prepended: String, appended: String) {
        guard a.count > 1 else { return }
        var i = a.count - 2, j = a.count - 1
        while i >= 0 {
            let trimmed = a[i].word.trimmingCharacters(in: .whitespacesAndNewlines)
            if a[i].word.hasPrefix(" ") && isSubstring(trimmed, of: prepended) {
                a[j].word = a[i].word + a[j].word
                a[j].tokens = a[i].tokens + a[j].tokens
                a[i].word = ""
                a[i].tokens = []
            } else {
                j = i
            }
            i -= 1
        }
        i = 0
        j = 1
        while j < a.count {
            if !a[i].word.hasSuffix(" ") && isSubstring(a[j].word, of: appended) {
                a[i].word += a[j].word
                a[i].tokens += a[j].tokens
                a[j].word = ""
                a[j].tokens = []
            } else {
                i = j
            }
            j += 1
        }
    }
}

/// Python's `part in whole` for strings (the empty string is in every string).
private func isSubstring(_ part: String, of whole: String) -> Bool { part.isEmpty || whole.contains(part) }

/// Python's `round(x, 2)`.
private func round2(_ x: Double) -> Double { (x * 100).rounded(.toNearestOrEven) / 100 }

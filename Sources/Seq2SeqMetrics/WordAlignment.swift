// Word-level Levenshtein alignment counts as jiwer 4 gets them from rapidfuzz
// (`rapidfuzz.distance.Levenshtein.editops`, the pure-Python twin
// `rapidfuzz/distance/Levenshtein_py.py`): the common prefix and suffix are matches, the rest
// is aligned on the full edit-distance table and traced back from the end preferring a
// deletion, then an insertion, then the diagonal — so equal-cost alignments split into
// substitutions, deletions and insertions the way jiwer reports them. The error count itself
// (their sum) is the edit distance whichever optimal alignment is taken.

/// Substitutions, deletions and insertions that turn a reference into a hypothesis.
enum WordAlignment {
    /// The counts for two sequences of word ids.
    static func counts(reference: [Int], hypothesis: [Int]) -> (substitutions: Int, deletions: Int, insertions: Int) {
        var prefix = 0
        while prefix < min(reference.count, hypothesis.count), reference[prefix] == hypothesis[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(reference.count, hypothesis.count) - prefix,
              reference[reference.count - 1 - suffix] == hypothesis[hypothesis.count - 1 - suffix] { suffix += 1 }
        let s1 = Array(reference[prefix..<reference.count - suffix]), s2 = Array(hypothesis[prefix..<hypothesis.count - suffix])
        let table = distances(s1, s2)
        let width = s2.count + 1
        func d(_ i: Int, _ j: Int) -> Int32 { table[i * width + j] }
        var substitutions = 0, deletions = 0, insertions = 0
        var col = s1.count, row = s2.count
        while row != 0 && col != 0 {
            if d(col, row) - d(col - 1, row) == 1 {
                deletions += 1
                col -= 1
            } else {
                row -= 1
                if row != 0 && d(col, row) - d(col - 1, row) == -1 {
                    insertions += 1
                } else {
                    col -= 1
                    if s1[col] != s2[row] { substitutions += 1 }
                }
            }
        }
        return (substitutions, deletions + col, insertions + row)
    }

    /// The edit-distance table D[i][j] between s1[..<i] and s2[..<j], row-major with
    /// (s2.count + 1) columns.
    private static func distances(_ s1: [Int], _ s2: [Int]) -> [Int32] {
        let width = s2.count + 1
        var table = [Int32](repeating: 0, count: (s1.count + 1) * width)
        for j in 0...s2.count { table[j] = Int32(j) }
        guard !s1.isEmpty else { return table }
        for i in 1...s1.count {
            table[i * width] = Int32(i)
            guard !s2.isEmpty else { continue }
            for j in 1...s2.count {
                let diagonal = table[(i - 1) * width + j - 1] + (s1[i - 1] == s2[j - 1] ? 0 : 1)
                table[i * width + j] = min(diagonal, table[(i - 1) * width + j] + 1, table[i * width + j - 1] + 1)
            }
        }
        return table
    }
}

// A fake decoder for the generation tests: logits come from a script of (source, decoder ids).
import Foundation
import Seq2SeqGeneration
import Seq2SeqTensor

/// A `DecoderSession` whose next-token logits are `script(source, idsSoFar)`, recording calls.
final class ScriptedSession: DecoderSession {
    let sourceCount: Int
    let vocabularySize: Int
    private let script: (Int, [Int]) -> [Float]
    /// Source and fed ids of each row.
    private(set) var rows: [(source: Int, ids: [Int])] = []
    /// Rows fed at each `step` call.
    private(set) var stepRowCounts: [Int] = []
    /// Every `reorder` argument.
    private(set) var reorders: [[Int]] = []
    /// The sources' ids, for rules that read them (nil: none).
    var sourceIds: [[Int]]?

    init(sources: Int, vocabulary: Int, script: @escaping (Int, [Int]) -> [Float]) {
        sourceCount = sources
        vocabularySize = vocabulary
        self.script = script
    }

    func begin(rowsPerSource: Int) throws {
        rows = (0..<sourceCount * rowsPerSource).map { ($0 / rowsPerSource, []) }
        stepRowCounts = []
        reorders = []
    }

    func step(tokens: [Int]) throws -> Tensor {
        precondition(tokens.count == rows.count, "fed \(tokens.count) tokens to \(rows.count) rows")
        stepRowCounts.append(tokens.count)
        var values: [Float] = []
        for i in rows.indices {
            rows[i].ids.append(tokens[i])
            let row = script(rows[i].source, rows[i].ids)
            precondition(row.count == vocabularySize)
            values += row
        }
        return Tensor(shape: [rows.count, vocabularySize], values: values)
    }

    func reorder(rows order: [Int]) throws {
        reorders.append(order)
        rows = order.map { rows[$0] }
    }
}

/// Logits whose softmax is `probabilities` (entries 0 become -inf).
func logits(_ probabilities: [Float]) -> [Float] {
    probabilities.map { $0 > 0 ? Float(Foundation.log(Double($0))) : -.infinity }
}

/// Log-softmax of a row, in Double.
func logSoftmax(_ row: [Float]) -> [Double] {
    let m = Double(row.max()!)
    let z = m + Foundation.log(row.map { Foundation.exp(Double($0) - m) }.reduce(0, +))
    return row.map { Double($0) - z }
}

// Embedding lookup: a gather of table rows forward, a scatter-add of gradient rows backward.
//
//   Y[i, :] = E[id_i, :]        dE[id_i, :] += dY[i, :]   (except id_i = padding, as
//                                                          torch.nn.Embedding(padding_idx))
import Seq2SeqTensor

/// Rows of `table` [V, D] picked by `ids`: the result has shape `shape + [D]`
/// (e.g. ids of [B, T] give [B, T, D]). Ids must lie in 0..<V.
///
/// Lookups of `paddingIndex` send no gradient to its row, as `torch.nn.Embedding(padding_idx:)`
/// (the row may still learn through other uses of the table, e.g. a tied output layer).
public func embedding(_ ids: [Int32], shape: [Int], table: Variable, paddingIndex: Int32? = nil) -> Variable {
    precondition(table.value.rank == 2, "embedding table of \(table.value.shape)")
    precondition(shape.reduce(1, *) == ids.count, "\(ids.count) ids for shape \(shape)")
    let (V, D) = (table.value.shape[0], table.value.shape[1])
    let y = Tensor(zeros: shape + [D])
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && Int(id) < V, "token id \(id) outside the vocabulary of \(V)")
        (y.data + i * D).update(from: table.value.data + Int(id) * D, count: D)
    }
    return Variable.result(y, inputs: [table]) { dY in
        let dE = table.gradientBuffer().data
        for (i, id) in ids.enumerated() where id != paddingIndex {
            VectorMath.add(dY.data + i * D, into: dE + Int(id) * D, count: D)
        }
    }
}

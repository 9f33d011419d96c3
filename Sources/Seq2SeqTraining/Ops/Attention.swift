// Multi-head scaled dot-product attention as one fused op. Heads are column blocks of the
// [B, T, D] projections (head h = columns h·Dh ..< (h+1)·Dh), read by GEMM with row stride D,
// so no reshape or transpose copies are made in either direction.
//
// Per batch row b and head h (Q [T, Dh], K and V [S, Dh], c the scale, E_h an optional
// learned bias such as T5's relative positions):
//   A = c·Q·Kᵀ + E_h + mask    P = softmax(A)    P' = P⊙m (attention dropout)    O = P'·V
//   dV = P'ᵀ·dO    dP' = dO·Vᵀ    dP = dP'⊙m    dA = P⊙(dP - Σ dP⊙P)
//   dQ = c·dA·K    dK = c·dAᵀ·Q    dE_h = Σ_b dA
import Seq2SeqTensor

/// Multi-head attention of queries [B, T, D] over keys and values [B, S, D] with H heads
/// (D = H·Dh); returns the concatenated head outputs [B, T, D] (before the output projection).
///
/// `mask` is additive (0 keeps, -inf drops) with shape [T, S] (same for every batch row, e.g.
/// causal), [B, T, S], or [B, 1, S] (key padding). `bias` [H, T, S] is added to every batch
/// row's scores and learns (T5's relative position bias). `scale` defaults to 1/√Dh (T5 uses 1).
/// `dropoutRate` > 0 drops attention probabilities with masks drawn from `generator`.
public func attention(query q: Variable, key k: Variable, value v: Variable, heads H: Int,
                      mask: Tensor? = nil, bias: Variable? = nil, scale: Float? = nil,
                      dropoutRate: Float = 0, generator: inout TrainingRandom) -> Variable {
    precondition(q.value.rank == 3 && k.value.rank == 3, "attention of q \(q.value.shape), k \(k.value.shape)")
    let (B, T, D) = (q.value.shape[0], q.value.shape[1], q.value.shape[2])
    let S = k.value.shape[1]
    precondition(k.value.shape == [B, S, D] && v.value.shape == [B, S, D] && H > 0 && D % H == 0,
                 "attention of q \(q.value.shape), k \(k.value.shape), v \(v.value.shape) with \(H) heads")
    let Dh = D / H, c = scale ?? 1 / Float(Dh).squareRoot()
    let maskRow = attentionMaskRow(mask, B: B, T: T, S: S)
    precondition(bias == nil || bias!.value.shape == [H, T, S], "attention bias \(bias!.value.shape) for [\(H), \(T), \(S)]")
    let recording = Variable.recording(q, k, v) || (bias.map { Variable.recording($0) } ?? false)
    // P for every (b, h) when recording (the backward needs it); else a scratch per item.
    let probs = recording ? Tensor(zeros: [B, H, T, S]) : nil
    // Dropout masks are drawn first, in a fixed order, so the parallel loop stays reproducible.
    let drop = dropoutRate > 0 ? Tensor(zeros: [B, H, T, S]) : nil
    if let drop {
        let keep = 1 / (1 - dropoutRate)
        for i in 0..<drop.count { drop.data[i] = generator.nextUniform() < dropoutRate ? 0 : keep }
    }
    let o = Tensor(zeros: [B, T, D])
    // One (b, h) per work item: items write disjoint blocks of O, and the small per-head GEMMs
    // run serially inside an item (the pool's loops do not nest).
    forEachHead(B * H, work: T * S * Dh) { bh in
        let (b, h) = (bh / H, bh % H)
        // Raw pointers do not keep storage alive: `scratch` and `dropped` are held to the end.
        let scratch = probs == nil ? Tensor(zeros: [T, S]) : nil
        let P = probs.map { $0.data + bh * T * S } ?? scratch!.data
        let dropped = drop.map { _ in Tensor(zeros: [T, S]) }
        let qs = q.value.data + b * T * D + h * Dh, ks = k.value.data + b * S * D + h * Dh
        let vs = v.value.data + b * S * D + h * Dh
        GEMM.multiply(m: T, n: S, k: Dh, a: qs, lda: D, transposeA: false, b: ks, ldb: D, transposeB: true,
                      c: P, ldc: S, alpha: c)
        for t in 0..<T {
            if let bias { VectorMath.add(bias.value.data + (h * T + t) * S, into: P + t * S, count: S) }
            if let mask { VectorMath.add(mask.data + maskRow(b, t), into: P + t * S, count: S) }
            VectorMath.softmax(P + t * S, count: S)
        }
        // P' = P⊙m in a copy: P itself is kept for the softmax backward.
        if let dropped, let drop {
            for i in 0..<(T * S) { dropped.data[i] = P[i] * drop.data[bh * T * S + i] }
        }
        GEMM.multiply(m: T, n: Dh, k: S, a: dropped?.data ?? P, lda: S, transposeA: false, b: vs, ldb: D, transposeB: false,
                      c: o.data + b * T * D + h * Dh, ldc: D)
        withExtendedLifetime((scratch, dropped)) {}
    }
    return Variable.result(o, inputs: [q, k, v] + (bias.map { [$0] } ?? [])) { dO in
        attentionBackward(dO: dO, q: q, k: k, v: v, bias: bias, probs: probs!, drop: drop, H: H, scale: c)
    }
}

/// `attention` without attention dropout.
public func attention(query q: Variable, key k: Variable, value v: Variable, heads H: Int,
                      mask: Tensor? = nil, bias: Variable? = nil, scale: Float? = nil) -> Variable {
    var unused = TrainingRandom(seed: 0)
    return attention(query: q, key: k, value: v, heads: H, mask: mask, bias: bias, scale: scale, generator: &unused)
}

/// Accumulates dQ, dK, dV (and the bias's dE) from dO [B, T, D], the saved P [B, H, T, S] and
/// dropout masks m.
private func attentionBackward(dO: Tensor, q: Variable, k: Variable, v: Variable, bias: Variable?, probs: Tensor, drop: Tensor?,
                               H: Int, scale c: Float) {
    let (B, T, D) = (q.value.shape[0], q.value.shape[1], q.value.shape[2])
    let S = k.value.shape[1], Dh = D / H
    let dQ = q.requiresGradient ? q.gradientBuffer().data : nil
    let dK = k.requiresGradient ? k.gradientBuffer().data : nil
    let dV = v.requiresGradient ? v.gradientBuffer().data : nil
    // dA of every (b, h) when the bias learns: summed over b after the parallel loop.
    let scoreGradients = bias?.requiresGradient == true ? Tensor(zeros: [B, H, T, S]) : nil
    // Items write disjoint blocks of dQ, dK, dV (batch row b, head columns h), so no races.
    forEachHead(B * H, work: T * S * Dh) { bh in
        let (b, h) = (bh / H, bh % H)
        let P = probs.data + bh * T * S, m = drop.map { $0.data + bh * T * S }
        let dP = Tensor(zeros: [T, S]), dA = Tensor(zeros: [T, S])
        let qs = q.value.data + b * T * D + h * Dh, ks = k.value.data + b * S * D + h * Dh
        let vs = v.value.data + b * S * D + h * Dh, dOs = dO.data + b * T * D + h * Dh
        let dropped = m.map { m in Tensor(shape: [T, S], values: (0..<(T * S)).map { P[$0] * m[$0] }) }
        if let dV {  // dV[S, Dh] += P'ᵀ[S, T] · dO[T, Dh]
            GEMM.multiply(m: S, n: Dh, k: T, a: dropped?.data ?? P, lda: S, transposeA: true,
                          b: dOs, ldb: D, transposeB: false, c: dV + b * S * D + h * Dh, ldc: D, beta: 1)
        }
        guard dQ != nil || dK != nil || scoreGradients != nil else { return withExtendedLifetime(dropped) {} }
        // dP'[T, S] = dO[T, Dh] · V[S, Dh]ᵀ, then dP = dP'⊙m, dA = softmax backward.
        GEMM.multiply(m: T, n: S, k: Dh, a: dOs, lda: D, transposeA: false,
                      b: vs, ldb: D, transposeB: true, c: dP.data, ldc: S)
        if let m { for i in 0..<(T * S) { dP.data[i] *= m[i] } }
        for t in 0..<T { softmaxBackwardRow(p: P + t * S, dP: dP.data + t * S, into: dA.data + t * S, count: S) }
        if let scoreGradients { (scoreGradients.data + bh * T * S).update(from: dA.data, count: T * S) }
        if let dQ {  // dQ[T, Dh] += c·dA[T, S] · K[S, Dh]
            GEMM.multiply(m: T, n: Dh, k: S, a: dA.data, lda: S, transposeA: false,
                          b: ks, ldb: D, transposeB: false, c: dQ + b * T * D + h * Dh, ldc: D, alpha: c, beta: 1)
        }
        if let dK {  // dK[S, Dh] += c·dA[T, S]ᵀ · Q[T, Dh]
            GEMM.multiply(m: S, n: Dh, k: T, a: dA.data, lda: S, transposeA: true,
                          b: qs, ldb: D, transposeB: false, c: dK + b * S * D + h * Dh, ldc: D, alpha: c, beta: 1)
        }
        withExtendedLifetime((dP, dA, dropped)) {}  // raw pointers into them were used above
    }
    if let bias, let scoreGradients {
        let dE = bias.gradientBuffer().data
        for b in 0..<B { VectorMath.add(scoreGradients.data + b * H * T * S, into: dE, count: H * T * S) }
    }
}

/// Runs `body(bh)` for every (batch row, head) pair, on the shared pool unless the whole
/// job (`count` items of about `work` multiply-adds each) is too small to pay for a wake-up.
private func forEachHead(_ count: Int, work: Int, _ body: (Int) -> Void) {
    if count * work < 1 << 15 || ThreadPool.shared.threadCount == 1 {
        for bh in 0..<count { body(bh) }
    } else {
        ThreadPool.shared.parallelFor(count, body)
    }
}

/// The offset of mask row (b, t) for the accepted mask shapes [T, S], [B, T, S], [B, 1, S].
private func attentionMaskRow(_ mask: Tensor?, B: Int, T: Int, S: Int) -> (Int, Int) -> Int {
    guard let mask else { return { _, _ in 0 } }
    switch mask.shape {
    case [T, S]: return { _, t in t * S }
    case [B, T, S]: return { b, t in (b * T + t) * S }
    case [B, 1, S]: return { b, _ in b * S }
    default: preconditionFailure("attention mask \(mask.shape) is none of [T, S], [B, T, S], [B, 1, S] for B \(B), T \(T), S \(S)")
    }
}

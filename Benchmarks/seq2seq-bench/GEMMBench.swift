// `seq2seq-bench gemm`: float32 GEMM throughput on the shapes the models use, one JSON line
// per shape. Squares time `GEMM.multiply` (both operands packed per call); weight-like
// shapes time `PackedMatrix.apply` (weight packed once, as the layers use it).
import Foundation
import Seq2SeqTensor

/// One benchmarked product: op(A)[m, k] · op(B)[k, n].
struct GEMMBenchShape {
    let m: Int, n: Int, k: Int
    /// Whether B is a packed weight (`PackedMatrix`) rather than a plain matrix.
    let packedWeight: Bool

    static let all: [GEMMBenchShape] = [256, 512, 1024, 2048].map { GEMMBenchShape(m: $0, n: $0, k: $0, packedWeight: false) } + [
        GEMMBenchShape(m: 1, n: 2048, k: 512, packedWeight: true),
        GEMMBenchShape(m: 32, n: 512, k: 512, packedWeight: true),
        GEMMBenchShape(m: 1500, n: 1536, k: 384, packedWeight: true),
        GEMMBenchShape(m: 8, n: 58101, k: 512, packedWeight: true),
    ]
}

/// Runs the GEMM benchmark with `--threads T --repeats R --path best|avx2|avx512|scalar --min-seconds S`
/// (and `--shape M,N,K` to run one shape only, `--compute-type int8` to store packed weights as
/// int8, `--int8-path reference|avx2` to force the int8 kernel).
func runGEMMBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count { options[arguments[i]] = arguments[i + 1]; i += 2 }
    let threads = Int(options["--threads"] ?? "1") ?? 1
    let repeats = max(1, Int(options["--repeats"] ?? "5") ?? 5)
    let minimumSeconds = Double(options["--min-seconds"] ?? "0.05") ?? 0.05
    let pool = ThreadPool(threads: threads)
    if let name = options["--path"], name != "best" {
        guard let path = GEMMPath.allCases.first(where: { "\($0)" == name }) else { throw BenchError("gemm: unknown --path \(name)") }
        guard path.isSupported else { throw BenchError("gemm: path \(name) is not supported on this CPU") }
        GEMM.forcedPath = path
    }
    guard let computeType = ComputeType(rawValue: options["--compute-type"] ?? "float32") else {
        throw BenchError("gemm: --compute-type is float32 or int8")
    }
    if let name = options["--int8-path"] {
        guard let path = Int8Path.allCases.first(where: { "\($0)" == name }), path.isSupported else {
            throw BenchError("gemm: int8 path \(name) is unknown or not supported on this CPU")
        }
        Int8Path.forced = path
    }
    var shapes = GEMMBenchShape.all
    if let only = options["--shape"] {
        let mnk = only.split(separator: ",").compactMap { Int($0) }
        guard mnk.count == 3 else { throw BenchError("gemm: --shape wants M,N,K") }
        shapes = [shapes.first { [$0.m, $0.n, $0.k] == mnk } ?? GEMMBenchShape(m: mnk[0], n: mnk[1], k: mnk[2], packedWeight: true)]
    }
    for shape in shapes {
        let (seconds, packSeconds) = timeGEMM(shape, pool: pool, repeats: repeats, minimumSeconds: minimumSeconds,
                                            storage: computeType == .int8 ? .int8 : .float32)
        var record: [String: Any] = [
            "m": shape.m, "n": shape.n, "k": shape.k, "threads": threads, "seconds": seconds,
            "gflops": 2.0 * Double(shape.m * shape.n * shape.k) / seconds / 1e9,
            "path": computeType == .int8 && shape.packedWeight ? "int8-\(Int8Path.active)" : "\(GEMM.activePath)", "op": shape.packedWeight ? "PackedMatrix.apply" : "GEMM.multiply",
        ]
        if let packSeconds { record["pack_seconds"] = packSeconds }
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Best over `repeats` samples of the mean time of one product (a sample runs the product
/// often enough to last `minimumSeconds`), and the time of packing the weight if there is one.
private func timeGEMM(_ s: GEMMBenchShape, pool: ThreadPool, repeats: Int, minimumSeconds: Double,
                      storage: PackedMatrix.Storage) -> (Double, Double?) {
    var rng = SplitMix64(seed: 7)
    func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.next() % 2001) / 1000 - 1 } }
    let a = random(s.m * s.k), b = random(s.k * s.n)
    var c = [Float](repeating: 0, count: s.m * s.n)
    var weight: PackedMatrix? = nil
    let packSeconds = s.packedWeight ? measure(1) { weight = PackedMatrix(weight: b, outFeatures: s.n, inFeatures: s.k, storage: storage) } : nil
    let run: () -> Void = {
        c.withUnsafeMutableBufferPointer { c in
            if let weight {
                weight.apply(a, rows: s.m, ldx: s.k, into: c.baseAddress!, ldy: s.n, pool: pool)
            } else {
                GEMM.multiply(m: s.m, n: s.n, k: s.k, a: a, lda: s.k, transposeA: false, b: b, ldb: s.n,
                              transposeB: false, c: c.baseAddress!, ldc: s.n, pool: pool)
            }
        }
    }
    run()
    let once = measure(1, run)
    let iterations = max(1, Int(minimumSeconds / max(once, 1e-7)))
    var best = Double.infinity
    for _ in 0..<repeats { best = min(best, measure(iterations, run) / Double(iterations)) }
    return (best, packSeconds)
}

private func measure(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

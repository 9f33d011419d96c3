// 1-D convolution over time (Whisper's audio stem) as im2col + the packed GEMM.
//
// Layouts: input x[L, Cin] time-major, weight [Cout, Cin, K] as PyTorch's Conv1d stores it,
// output y[Lout, Cout] with Lout = (L + 2·padding − K) / stride + 1.

/// A 1-D convolution with zero padding, its weight packed once.
public final class Conv1D: @unchecked Sendable {
    /// Input channels Cin.
    public let inChannels: Int
    /// Output channels Cout.
    public let outChannels: Int
    /// Kernel width K.
    public let kernelSize: Int
    /// Step between output positions.
    public let stride: Int
    /// Zeros added on each side of the input.
    public let padding: Int
    private let packed: PackedMatrix
    private let bias: [Float]?

    /// A convolution from a PyTorch weight [Cout, Cin, K] (row-major) and optional bias [Cout].
    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int, inChannels: Int,
                kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(stride >= 1 && padding >= 0 && kernelSize >= 1, "invalid convolution geometry")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        // W'[o, k·Cin + c] = W[o, c, k]: a row of im2col is the K input frames one after another.
        var reordered = [Float](repeating: 0, count: outChannels * kernelSize * inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for k in 0..<kernelSize {
                    reordered[o * kernelSize * inChannels + k * inChannels + c] = weight[(o * inChannels + c) * kernelSize + k]
                }
            }
        }
        packed = reordered.withUnsafeBufferPointer {
            PackedMatrix(weight: $0.baseAddress!, outFeatures: outChannels, inFeatures: kernelSize * inChannels)
        }
        self.bias = bias.map { Array(UnsafeBufferPointer(start: $0, count: outChannels)) }
    }

    /// Output length for an input of `length` frames.
    public func outputLength(_ length: Int) -> Int { max(0, (length + 2 * padding - kernelSize) / stride + 1) }

    /// y[Lout, Cout] = conv(x[L, Cin]).
    public func apply(_ x: UnsafePointer<Float>, length: Int, into y: UnsafeMutablePointer<Float>, pool: ThreadPool = .shared) {
        let lout = outputLength(length), width = kernelSize * inChannels
        guard lout > 0 else { return }
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: lout * width)
        defer { columns.deallocate() }
        pool.parallelChunks(lout, minimumChunk: 16) { range in
            for t in range {
                let row = columns + t * width
                for k in 0..<kernelSize {
                    let source = t * stride + k - padding
                    if source >= 0 && source < length {
                        (row + k * inChannels).update(from: x + source * inChannels, count: inChannels)
                    } else {
                        (row + k * inChannels).update(repeating: 0, count: inChannels)
                    }
                }
            }
        }
        if let bias {
            bias.withUnsafeBufferPointer { b in
                packed.apply(columns, rows: lout, ldx: width, into: y, ldy: outChannels, bias: b.baseAddress!, pool: pool)
            }
        } else {
            packed.apply(columns, rows: lout, ldx: width, into: y, ldy: outChannels, pool: pool)
        }
    }

    /// The plain reference twin: direct summation in float64.
    public static func reference(_ x: [Float], length: Int, weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int,
                                 kernelSize: Int, stride: Int, padding: Int) -> [Float] {
        let lout = max(0, (length + 2 * padding - kernelSize) / stride + 1)
        var y = [Float](repeating: 0, count: lout * outChannels)
        for t in 0..<lout {
            for o in 0..<outChannels {
                var s = Double(bias?[o] ?? 0)
                for c in 0..<inChannels {
                    for k in 0..<kernelSize {
                        let source = t * stride + k - padding
                        if source >= 0 && source < length {
                            s += Double(x[source * inChannels + c]) * Double(weight[(o * inChannels + c) * kernelSize + k])
                        }
                    }
                }
                y[t * outChannels + o] = Float(s)
            }
        }
        return y
    }
}

// Mixed-radix complex FFT (Stockham autosort, decimation in frequency) and the real FFT
// built on it. Modelled on the Stockham formulation in OTFFT's `fft0` (radix 2) generalised
// to radices 4, 2, 3, 5 and any odd factor (a direct DFT of that size per butterfly).
// X[k] = Σ_n x[n] e^{-2πi kn/N}, unnormalised, like numpy.fft.fft.
import Foundation

/// A planned forward FFT of one size, on split real / imaginary arrays of `Float` or `Double`.
///
/// The plan is immutable and shareable between threads; each call brings its own scratch.
/// Any size works: factors 4, 2, 3, 5 have dedicated butterflies, other primes p cost O(N·p).
public struct FFT<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
    /// The transform length N.
    public let size: Int
    private let stages: [Stage]

    /// One pass: radix p over sub-transforms of length n at stride s; twiddles w_n^{q·k}.
    private struct Stage: Sendable {
        let radix: Int, n: Int, stride: Int
        /// [q][k-1] for q in 0..<n/p, k in 1..<p: cos and -sin of 2π q k / n.
        let twiddleRe: [Scalar], twiddleIm: [Scalar]
        /// The radix's own roots e^{-2πi j/p}, for the generic butterfly.
        let rootRe: [Scalar], rootIm: [Scalar]
    }

    /// Plans a transform of `size` points (size ≥ 1).
    public init(size: Int) {
        precondition(size >= 1, "FFT size must be positive")
        self.size = size
        var stages: [Stage] = []
        var n = size, stride = 1
        for p in FFT.factors(size) {
            let m = n / p
            var tr = [Scalar](repeating: 0, count: m * (p - 1)), ti = tr
            for q in 0..<m {
                for k in 1..<p {
                    let angle = -2 * Double.pi * Double(q * k) / Double(n)
                    tr[q * (p - 1) + k - 1] = Scalar(cos(angle))
                    ti[q * (p - 1) + k - 1] = Scalar(sin(angle))
                }
            }
            let roots = (0..<p).map { -2 * Double.pi * Double($0) / Double(p) }
            stages.append(Stage(radix: p, n: n, stride: stride, twiddleRe: tr, twiddleIm: ti,
                                rootRe: roots.map { Scalar(cos($0)) }, rootIm: roots.map { Scalar(sin($0)) }))
            n = m
            stride *= p
        }
        self.stages = stages
    }

    /// Radices in the order applied: fours first, then 2, 3, 5, then remaining primes.
    static func factors(_ size: Int) -> [Int] {
        var n = size, result: [Int] = []
        while n % 4 == 0 { result.append(4); n /= 4 }
        var p = 2
        while n > 1 {
            while n % p == 0 { result.append(p); n /= p }
            p += p == 2 ? 1 : 2
            if p * p > n, n > 1 { result.append(n); n = 1 }
        }
        return result
    }

    /// Transforms `re`/`im` (N each) in place; `scratchRe`/`scratchIm` hold N each.
    public func forward(re: UnsafeMutablePointer<Scalar>, im: UnsafeMutablePointer<Scalar>,
                        scratchRe: UnsafeMutablePointer<Scalar>, scratchIm: UnsafeMutablePointer<Scalar>) {
        var (xr, xi, yr, yi) = (re, im, scratchRe, scratchIm)
        for stage in stages {
            switch stage.radix {
            case 2: radix2(stage, xr, xi, yr, yi)
            case 3: radix3(stage, xr, xi, yr, yi)
            case 4: radix4(stage, xr, xi, yr, yi)
            case 5: radix5(stage, xr, xi, yr, yi)
            default: radixGeneric(stage, xr, xi, yr, yi)
            }
            swap(&xr, &yr)
            swap(&xi, &yi)
        }
        if xr != re {
            re.update(from: xr, count: size)
            im.update(from: xi, count: size)
        }
    }

    /// Input x[j + s(q + r m)], output y[j + s(p q + k)] = w^{qk} Σ_r x_r ω_p^{rk}.
    private func radix2(_ st: Stage, _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
                        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>) {
        let m = st.n / 2, s = st.stride
        st.twiddleRe.withUnsafeBufferPointer { tr in
            st.twiddleIm.withUnsafeBufferPointer { ti in
                for q in 0..<m {
                    let wr = tr[q], wi = ti[q]
                    for j in 0..<s {
                        let a = j + s * q, b = a + s * m, o = j + s * 2 * q
                        let dr = xr[a] - xr[b], di = xi[a] - xi[b]
                        yr[o] = xr[a] + xr[b]; yi[o] = xi[a] + xi[b]
                        yr[o + s] = dr * wr - di * wi; yi[o + s] = dr * wi + di * wr
                    }
                }
            }
        }
    }

    private func radix4(_ st: Stage, _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
                        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>) {
        let m = st.n / 4, s = st.stride
        st.twiddleRe.withUnsafeBufferPointer { tr in
            st.twiddleIm.withUnsafeBufferPointer { ti in
                for q in 0..<m {
                    let w1r = tr[3 * q], w1i = ti[3 * q], w2r = tr[3 * q + 1], w2i = ti[3 * q + 1]
                    let w3r = tr[3 * q + 2], w3i = ti[3 * q + 2]
                    for j in 0..<s {
                        let i0 = j + s * q, i1 = i0 + s * m, i2 = i1 + s * m, i3 = i2 + s * m
                        let ar = xr[i0] + xr[i2], ai = xi[i0] + xi[i2]
                        let br = xr[i0] - xr[i2], bi = xi[i0] - xi[i2]
                        let cr = xr[i1] + xr[i3], ci = xi[i1] + xi[i3]
                        // -i (x1 - x3)
                        let dr = xi[i1] - xi[i3], di = xr[i3] - xr[i1]
                        let o = j + s * 4 * q
                        yr[o] = ar + cr; yi[o] = ai + ci
                        let y1r = br + dr, y1i = bi + di
                        let y2r = ar - cr, y2i = ai - ci
                        let y3r = br - dr, y3i = bi - di
                        yr[o + s] = y1r * w1r - y1i * w1i; yi[o + s] = y1r * w1i + y1i * w1r
                        yr[o + 2 * s] = y2r * w2r - y2i * w2i; yi[o + 2 * s] = y2r * w2i + y2i * w2r
                        yr[o + 3 * s] = y3r * w3r - y3i * w3i; yi[o + 3 * s] = y3r * w3i + y3i * w3r
                    }
                }
            }
        }
    }

    private func radix3(_ st: Stage, _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
                        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>) {
        let m = st.n / 3, s = st.stride
        let sin3 = Scalar(sin(2 * Double.pi / 3))
        st.twiddleRe.withUnsafeBufferPointer { tr in
            st.twiddleIm.withUnsafeBufferPointer { ti in
                for q in 0..<m {
                    let w1r = tr[2 * q], w1i = ti[2 * q], w2r = tr[2 * q + 1], w2i = ti[2 * q + 1]
                    for j in 0..<s {
                        let i0 = j + s * q, i1 = i0 + s * m, i2 = i1 + s * m
                        let t1r = xr[i1] + xr[i2], t1i = xi[i1] + xi[i2]
                        let br = sin3 * (xr[i1] - xr[i2]), bi = sin3 * (xi[i1] - xi[i2])
                        let ar = xr[i0] - 0.5 * t1r, ai = xi[i0] - 0.5 * t1i
                        let o = j + s * 3 * q
                        yr[o] = xr[i0] + t1r; yi[o] = xi[i0] + t1i
                        // y1 = a − i b, y2 = a + i b
                        let y1r = ar + bi, y1i = ai - br, y2r = ar - bi, y2i = ai + br
                        yr[o + s] = y1r * w1r - y1i * w1i; yi[o + s] = y1r * w1i + y1i * w1r
                        yr[o + 2 * s] = y2r * w2r - y2i * w2i; yi[o + 2 * s] = y2r * w2i + y2i * w2r
                    }
                }
            }
        }
    }

    private func radix5(_ st: Stage, _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
                        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>) {
        let m = st.n / 5, s = st.stride
        let c1 = Scalar(cos(2 * Double.pi / 5)), c2 = Scalar(cos(4 * Double.pi / 5))
        let s1 = Scalar(sin(2 * Double.pi / 5)), s2 = Scalar(sin(4 * Double.pi / 5))
        st.twiddleRe.withUnsafeBufferPointer { tr in
            st.twiddleIm.withUnsafeBufferPointer { ti in
                for q in 0..<m {
                    let w = 4 * q
                    for j in 0..<s {
                        let i0 = j + s * q, i1 = i0 + s * m, i2 = i1 + s * m, i3 = i2 + s * m, i4 = i3 + s * m
                        let t1r = xr[i1] + xr[i4], t1i = xi[i1] + xi[i4], t3r = xr[i1] - xr[i4], t3i = xi[i1] - xi[i4]
                        let t2r = xr[i2] + xr[i3], t2i = xi[i2] + xi[i3], t4r = xr[i2] - xr[i3], t4i = xi[i2] - xi[i3]
                        let a1r = xr[i0] + c1 * t1r + c2 * t2r, a1i = xi[i0] + c1 * t1i + c2 * t2i
                        let a2r = xr[i0] + c2 * t1r + c1 * t2r, a2i = xi[i0] + c2 * t1i + c1 * t2i
                        let b1r = s1 * t3r + s2 * t4r, b1i = s1 * t3i + s2 * t4i
                        let b2r = s2 * t3r - s1 * t4r, b2i = s2 * t3i - s1 * t4i
                        let o = j + s * 5 * q
                        yr[o] = xr[i0] + t1r + t2r; yi[o] = xi[i0] + t1i + t2i
                        // y1 = a1 − i b1, y2 = a2 − i b2, y3 = a2 + i b2, y4 = a1 + i b1; then twiddles.
                        @inline(__always) func store(_ k: Int, _ vr: Scalar, _ vi: Scalar) {
                            let wr = tr[w + k - 1], wi = ti[w + k - 1]
                            yr[o + k * s] = vr * wr - vi * wi
                            yi[o + k * s] = vr * wi + vi * wr
                        }
                        store(1, a1r + b1i, a1i - b1r)
                        store(2, a2r + b2i, a2i - b2r)
                        store(3, a2r - b2i, a2i + b2r)
                        store(4, a1r - b1i, a1i + b1r)
                    }
                }
            }
        }
    }

    /// Any radix p: a direct p-point DFT per butterfly (p ≤ a few dozen in practice).
    private func radixGeneric(_ st: Stage, _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
                              _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>) {
        let p = st.radix, m = st.n / p, s = st.stride
        for q in 0..<m {
            for j in 0..<s {
                let base = j + s * q, o = j + s * p * q
                for k in 0..<p {
                    var sr: Scalar = 0, si: Scalar = 0
                    for r in 0..<p {
                        let root = (r * k) % p
                        let vr = xr[base + r * s * m], vi = xi[base + r * s * m]
                        sr += vr * st.rootRe[root] - vi * st.rootIm[root]
                        si += vr * st.rootIm[root] + vi * st.rootRe[root]
                    }
                    if k == 0 {
                        yr[o] = sr; yi[o] = si
                    } else {
                        let wr = st.twiddleRe[q * (p - 1) + k - 1], wi = st.twiddleIm[q * (p - 1) + k - 1]
                        yr[o + k * s] = sr * wr - si * wi
                        yi[o + k * s] = sr * wi + si * wr
                    }
                }
            }
        }
    }
}

/// The FFT of N real samples, N even, through one complex FFT of N/2 points.
///
/// Output bins 0...N/2 (the non-negative frequencies, as numpy.fft.rfft). Computed in
/// float64: the log-mel keeps bins 80 dB below the loudest, where float32 rounding shows.
struct RealFFT: Sendable {
    let size: Int
    private let half: FFT<Double>
    /// e^{-2πi k/N} for k in 0...N/2.
    private let twiddleRe: [Double], twiddleIm: [Double]

    init(size: Int) {
        precondition(size >= 2 && size % 2 == 0, "RealFFT needs an even size")
        self.size = size
        half = FFT(size: size / 2)
        let angles = (0...size / 2).map { -2 * Double.pi * Double($0) / Double(size) }
        twiddleRe = angles.map(cos)
        twiddleIm = angles.map(sin)
    }

    /// Scratch doubles one call needs.
    var scratchCount: Int { 2 * size }

    /// |X[k]|² for k in 0...N/2 into `power` (N/2 + 1). `scratch` holds `scratchCount` doubles.
    func powerSpectrum(_ x: UnsafePointer<Float>, power: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Double>) {
        let m = size / 2
        let zr = scratch, zi = scratch + m, sr = scratch + 2 * m, si = scratch + 3 * m
        for k in 0..<m {
            zr[k] = Double(x[2 * k])
            zi[k] = Double(x[2 * k + 1])
        }
        half.forward(re: zr, im: zi, scratchRe: sr, scratchIm: si)
        twiddleRe.withUnsafeBufferPointer { tr in
            twiddleIm.withUnsafeBufferPointer { ti in
                // k = 0 and k = N/2 pair Z[0] with itself: X = Re Z[0] ± Im Z[0].
                power[0] = Float((zr[0] + zi[0]) * (zr[0] + zi[0]))
                power[m] = Float((zr[0] - zi[0]) * (zr[0] - zi[0]))
                for k in 1..<m {
                    let a = k, b = m - k
                    // Even part E = (Z[k] + conj Z[m-k]) / 2, odd part O = (Z[k] - conj Z[m-k]) / 2i.
                    let er = 0.5 * (zr[a] + zr[b]), ei = 0.5 * (zi[a] - zi[b])
                    let or = 0.5 * (zi[a] + zi[b]), oi = -0.5 * (zr[a] - zr[b])
                    let xr = er + or * tr[k] - oi * ti[k]
                    let xi = ei + or * ti[k] + oi * tr[k]
                    power[k] = Float(xr * xr + xi * xi)
                }
            }
        }
    }
}

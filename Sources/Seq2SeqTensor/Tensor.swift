// The tensor of the inference and training paths: a shape over contiguous float32 storage.
//
// Shape letters used throughout the code base: B batch, S source length, T target length,
// D model width, H heads, Dh head width, V vocabulary, F audio frames, K/N/M matrix sizes.

/// Owned, 64-byte aligned float32 memory.
///
/// A `TensorStorage` is shared by every `Tensor` value made from it: writing through one
/// tensor's `data` is visible through the others. Kernels write into storage they are
/// given; they never allocate.
public final class TensorStorage: @unchecked Sendable {
    /// First element.
    public let data: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int

    /// Allocates `count` elements, zero-filled.
    public init(count: Int) {
        precondition(count >= 0, "negative tensor size")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        data = raw.assumingMemoryBound(to: Float.self)
    }

    /// Allocates `count` elements left unwritten, for outputs a kernel writes whole (the
    /// logits of a decoding step: megabytes a zero fill would only overwrite).
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative tensor size")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        data = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(data).deallocate() }
}

/// A dense, row-major float32 tensor.
///
/// `Tensor` is a shape plus a reference to storage; copies share storage (see
/// `TensorStorage`). Use `copy()` for an independent tensor.
public struct Tensor: @unchecked Sendable {
    /// Sizes, outermost first.
    public let shape: [Int]
    /// The elements.
    public let storage: TensorStorage

    /// A zero-filled tensor of `shape`.
    public init(zeros shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor of `shape` whose elements the caller writes before reading any.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `values` (row-major).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { storage.data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor that views `storage` with another shape of the same element count.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.reduce(1, *) <= storage.count, "shape \(shape) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements.
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// First element.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.data }
    /// The elements as a buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: storage.data, count: count) }

    /// The same elements seen with another shape.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// An independent copy.
    public func copy() -> Tensor {
        let out = Tensor(zeros: shape)
        out.data.update(from: data, count: count)
        return out
    }

    /// The elements as an array.
    public var values: [Float] { Array(buffer) }

    /// Element at a multi-index (slow; for tests and small tools).
    public subscript(_ index: Int...) -> Float {
        get { data[offset(index)] }
        nonmutating set { data[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) for shape \(shape)")
        var o = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of shape \(shape)")
            o = o * n + i
        }
        return o
    }
}

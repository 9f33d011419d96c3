// Reverse-mode automatic differentiation over `Tensor`: a value, its gradient, and (only when
// a gradient is wanted) the closure that sends the gradient back to the op's inputs.
//
// There is no global tape. An op records a node — its inputs and a backward closure — only
// when gradients are enabled (`Autograd.isEnabled`) and at least one input requires a
// gradient; otherwise its result is a plain constant and nothing is kept alive. `backward()`
// orders the recorded graph by a depth-first search from the output and runs the closures
// in reverse order.
//
//     let w = Variable(Tensor(zeros: [V, D]), requiresGradient: true)     // a parameter
//     let logits = linear(relu(linear(x, weight: w1, bias: b1)), weight: w)
//     let loss = crossEntropy(logits: logits, targets: ids, ignoreIndex: pad, labelSmoothing: 0.1)
//     loss.backward()                                   // w.gradient, w1.gradient, …
//     clipGradientNorm(optimizer.parameters, maxNorm: 1)
//     optimizer.step(); optimizer.zeroGradients()
//     let eval = Autograd.withoutGradients { model(x) } // nothing recorded
import Seq2SeqTensor

/// Whether ops record the graph that `Variable.backward` walks.
public enum Autograd {
    @TaskLocal private static var disabled = false

    /// True unless inside `withoutGradients`.
    public static var isEnabled: Bool { !disabled }

    /// Runs `body` with recording off (evaluation, decoding): ops keep no inputs and no closures.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $disabled.withValue(true, operation: body)
    }
}

/// A tensor in a differentiable computation: its value, and its gradient after `backward()`.
///
/// Parameters are leaves made with `requiresGradient: true`; their `gradient` accumulates
/// over `backward()` calls until `zeroGradient()`. Results of ops hold a gradient only while
/// `backward()` runs.
public final class Variable {
    /// The value. Optimisers update parameters in place through its storage.
    public let value: Tensor
    /// ∂loss/∂value, same shape as `value`; nil until a backward pass reaches this variable.
    public internal(set) var gradient: Tensor?
    /// Whether a gradient flows to (or through) this variable.
    public let requiresGradient: Bool

    /// Inputs of the op that made this variable (empty for leaves and constants).
    let inputs: [Variable]
    /// Adds the contributions of the upstream gradient to the inputs' gradients.
    let backwardStep: ((_ upstream: Tensor) -> Void)?

    /// A leaf: a parameter (`requiresGradient: true`) or a constant input.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        inputs = []
        backwardStep = nil
    }

    private init(value: Tensor, inputs: [Variable], backwardStep: @escaping (Tensor) -> Void) {
        self.value = value
        requiresGradient = true
        self.inputs = inputs
        self.backwardStep = backwardStep
    }

    /// The result of an op: records `backward` only if gradients are on and an input needs one.
    ///
    /// `backward` receives the upstream gradient (shape of `value`) and must accumulate into
    /// the inputs with `accumulate` (it may skip inputs that do not require a gradient).
    static func result(_ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        guard Autograd.isEnabled, inputs.contains(where: \.requiresGradient) else { return Variable(value) }
        return Variable(value: value, inputs: inputs, backwardStep: backward)
    }

    /// Whether an op's forward should save what its backward needs.
    static func recording(_ inputs: Variable...) -> Bool {
        Autograd.isEnabled && inputs.contains(where: \.requiresGradient)
    }

    /// The gradient buffer, created zero-filled on first use; ops add into it.
    func gradientBuffer() -> Tensor {
        if let g = gradient { return g }
        let g = Tensor(zeros: value.shape)
        gradient = g
        return g
    }

    /// gradient += g (same element count).
    func accumulate(_ g: Tensor) {
        precondition(g.count == value.count, "gradient of \(g.shape) for value of \(value.shape)")
        guard requiresGradient else { return }
        if gradient == nil {
            gradient = g.copy().reshaped(value.shape)
        } else {
            VectorMath.add(g.data, into: gradientBuffer().data, count: g.count)
        }
    }

    /// The single element of a one-element value (a loss). Prefer it to `value.data[0]` on a
    /// temporary: a pointer into storage does not keep the storage alive.
    public var scalar: Float {
        precondition(value.count == 1, "scalar of a value of shape \(value.shape)")
        return value.values[0]
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() { gradient = nil }

    /// Back-propagates from this variable with upstream gradient `seed` (ones when nil, the
    /// usual choice for a scalar loss), accumulating into every leaf that requires a gradient.
    public func backward(seed: Tensor? = nil) {
        guard requiresGradient else { return }
        let start = seed ?? Tensor(shape: value.shape, values: Array(repeating: 1, count: value.count))
        precondition(start.count == value.count, "seed of \(start.shape) for value of \(value.shape)")
        let order = topologicalOrder()
        accumulate(start)
        for node in order.reversed() {
            guard let step = node.backwardStep, let g = node.gradient else { continue }
            step(g)
            node.gradient = nil  // intermediate gradients are not kept
        }
    }

    /// Recorded nodes reachable from self, each after all of its inputs (iterative DFS).
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let input = node.inputs[next]
                if input.backwardStep != nil, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

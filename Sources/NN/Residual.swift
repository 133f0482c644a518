import Tensor

/// CIFAR-style ResNet basic block: conv3×3(stride)–BN–ReLU–conv3×3–BN, plus the shortcut (identity, or a 1×1
/// strided projection with BN when the shape changes), then ReLU. The first ReLU is fused into its BN, and the
/// final add and ReLU are one pass (both exactly as separate layers).
///
/// Plug-in points: layers `mid` (after the first BN–ReLU), `branchEnd` (after the branch's last BN) and `skip`
/// (on the shortcut path, before the add) — DropBlock's placements — and a `gate` deciding per forward whether the
/// branch is computed and how it is scaled (Stochastic Depth, DropPath). A dropped branch is never computed.
public final class BasicBlock: Layer {
  let branch: Sequential
  let shortcut: Sequential?
  let gate: BranchGate?
  /// The latest training output (the final ReLU's mask).
  private var output = Tensor(shape: [0])
  /// The branch decision of the latest training forward.
  private var decision: BranchDecision = .keep(1)

  public init(
    inChannels: Int, outChannels: Int, stride: Int, key: RandomKey, mid: [Layer] = [], branchEnd: [Layer] = [],
    skip: [Layer] = [], gate: BranchGate? = nil
  ) {
    branch = Sequential(
      [
        Conv2d(
          inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1, bias: false,
          key: key.fold(0)),
        BatchNorm(channels: outChannels, relu: true),
      ] + mid + [
        Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, bias: false, key: key.fold(1)),
        BatchNorm(channels: outChannels),
      ] + branchEnd)
    if stride != 1 || inChannels != outChannels {
      shortcut = Sequential(
        [
          Conv2d(
            inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride, bias: false, key: key.fold(2)),
          BatchNorm(channels: outChannels),
        ] + skip)
    } else {
      shortcut = skip.isEmpty ? nil : Sequential(skip)
    }
    self.gate = gate
    precondition(gate == nil || shortcut != nil || inChannels == outChannels, "a gated block needs a skip path")
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let decision = gate?.decide(batch: x.rows, context) ?? .keep(1)
    var sum: Tensor
    switch decision {
    case .drop:
      let skip = shortcut?.forward(x, context) ?? x
      sum = Tensor(shape: skip.shape) { out in skip.withUnsafeBufferPointer { Elementwise.relu($0, out) } }
    case .keep(let factor):
      sum = branch.forward(x, context)
      if factor != 1 { sum.withUnsafeMutableBufferPointer { Elementwise.scale(factor, $0) } }
      let skip = shortcut?.forward(x, context) ?? x
      sum.withUnsafeMutableBufferPointer { s in skip.withUnsafeBufferPointer { Elementwise.addReLU($0, s) } }
    case .perSample(let factors):
      sum = branch.forward(x, context)
      Self.scaleRows(&sum, factors)
      let skip = shortcut?.forward(x, context) ?? x
      sum.withUnsafeMutableBufferPointer { s in skip.withUnsafeBufferPointer { Elementwise.addReLU($0, s) } }
    }
    if context.mode == .train {
      output = sum
      self.decision = decision
    }
    return sum
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let g = Tensor(shape: dy.shape) { out in
      output.withUnsafeBufferPointer { y in dy.withUnsafeBufferPointer { Elementwise.reluBackward(output: y, $0, out) }
      }
    }
    let dskip = shortcut?.backward(g) ?? g
    var dx: Tensor
    switch decision {
    case .drop:
      return dskip
    case .keep(let factor):
      if factor == 1 {
        dx = branch.backward(g)
      } else {
        var scaled = g
        scaled.withUnsafeMutableBufferPointer { Elementwise.scale(factor, $0) }
        dx = branch.backward(scaled)
      }
    case .perSample(let factors):
      var scaled = g
      Self.scaleRows(&scaled, factors)
      dx = branch.backward(scaled)
    }
    dx.withUnsafeMutableBufferPointer { d in dskip.withUnsafeBufferPointer { Elementwise.axpy(1, $0, d) } }
    return dx
  }

  /// Multiplies sample n's values by `factors[n]`.
  static func scaleRows(_ t: inout Tensor, _ factors: [Float]) {
    let length = t.rowLength
    precondition(factors.count == t.rows, "\(factors.count) branch factors for a batch of \(t.rows)")
    t.withUnsafeMutableBufferPointer { v in
      for (n, f) in factors.enumerated() where f != 1 {
        Elementwise.scale(f, UnsafeMutableBufferPointer(rebasing: v[(n * length)..<((n + 1) * length)]))
      }
    }
  }

  public var parameters: [Parameter] { branch.parameters + (shortcut?.parameters ?? []) }
}

extension BasicBlock: NestedLayers {
  public var nested: [(name: String, sequence: Sequential)] {
    [("branch", branch)] + (shortcut.map { [("shortcut", $0)] } ?? [])
  }
}

/// Nearest-neighbour 2× upsampling of NHWC maps (with a following 3×3 conv: the U-Net's learned up-convolution).
public final class Upsample2x: Layer {
  private var inputShape: [Int] = []

  public init() {}

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    inputShape = x.shape
    return Tensor(shape: [n, 2 * h, 2 * w, c]) { out in
      x.withUnsafeBufferPointer { src in
        for b in 0..<n {
          for y in 0..<(2 * h) {
            for xx in 0..<(2 * w) {
              let s = ((b * h + y / 2) * w + xx / 2) * c
              let d = ((b * 2 * h + y) * 2 * w + xx) * c
              (out.baseAddress! + d).update(from: src.baseAddress! + s, count: c)
            }
          }
        }
      }
    }
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    var dx = Tensor(shape: inputShape)
    dy.withUnsafeBufferPointer { g in
      dx.withUnsafeMutableBufferPointer { out in
        for b in 0..<n {
          for y in 0..<(2 * h) {
            for xx in 0..<(2 * w) {
              let s = ((b * 2 * h + y) * 2 * w + xx) * c
              let d = ((b * h + y / 2) * w + xx / 2) * c
              Elementwise.axpy(
                1, UnsafeBufferPointer(rebasing: g[s..<(s + c)]), UnsafeMutableBufferPointer(rebasing: out[d..<(d + c)])
              )
            }
          }
        }
      }
    }
    return dx
  }
}

/// Channel concatenation of two NHWC maps of the same spatial size, and its split for the backward pass.
public enum ChannelConcat {
  public static func concat(_ a: Tensor, _ b: Tensor) -> Tensor {
    let ca = a.shape[3]
    let cb = b.shape[3]
    let pixels = a.count / ca
    return Tensor(shape: [a.shape[0], a.shape[1], a.shape[2], ca + cb]) { out in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          for p in 0..<pixels {
            (out.baseAddress! + p * (ca + cb)).update(from: pa.baseAddress! + p * ca, count: ca)
            (out.baseAddress! + p * (ca + cb) + ca).update(from: pb.baseAddress! + p * cb, count: cb)
          }
        }
      }
    }
  }

  public static func split(_ g: Tensor, first ca: Int) -> (Tensor, Tensor) {
    let c = g.shape[3]
    let cb = c - ca
    let pixels = g.count / c
    let base = Array(g.shape.dropLast())
    let a = Tensor(shape: base + [ca]) { out in
      g.withUnsafeBufferPointer { src in
        for p in 0..<pixels { (out.baseAddress! + p * ca).update(from: src.baseAddress! + p * c, count: ca) }
      }
    }
    let b = Tensor(shape: base + [cb]) { out in
      g.withUnsafeBufferPointer { src in
        for p in 0..<pixels { (out.baseAddress! + p * cb).update(from: src.baseAddress! + p * c + ca, count: cb) }
      }
    }
    return (a, b)
  }
}

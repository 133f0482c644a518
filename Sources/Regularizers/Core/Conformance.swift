import NN
import NumberFormat
import Tensor

/// One property a regularizer promises, checked by the conformance gate on a probe input at a real site.
public enum Expectation: Sendable, Equatable {
  /// In training, the mean fraction of values zeroed (or, at a branch site, of samples whose branch is dropped)
  /// is this.
  case dropFraction(Double)
  /// In training, every value not zeroed is the input times this factor (1: no rescaling).
  case keptValue(Double)
  /// In training, every value not zeroed is the input times count / count-of-kept of its draw (DropBlock's and
  /// Structural Dropout's renormalisation).
  case keptValueRenormalised
  /// In training, all positions of one (sample, channel) of a feature map share their factor.
  case channelStructure
  /// In training, every zero lies in an all-zero `size × size` square of its channel.
  case blockStructure(Int)
  /// In training, all channels of one (sample, position) of a feature map share their factor (one spatial mask
  /// for every channel).
  case spatialStructure
  /// Evaluation returns the input unchanged.
  case evaluationIdentity
  /// Evaluation returns the input times this factor (a method's own test-time rule).
  case evaluationScale(Double)
  /// After an optimiser step, every unit's incoming weight vector has L2 norm at most this; a vector already
  /// within it is unchanged, one beyond it is scaled as a whole (max-norm's projection).
  case unitNormAtMost(Double)

  public var name: String {
    switch self {
    case .dropFraction(let f): "drop fraction \(Conformance.format(f))"
    case .keptValue(let s): s == 1 ? "no rescaling" : "kept values scaled by \(Conformance.format(s))"
    case .keptValueRenormalised: "kept values renormalised by count / kept"
    case .channelStructure: "whole channels"
    case .spatialStructure: "one spatial mask for all channels"
    case .blockStructure(let b): "\(b)×\(b) blocks"
    case .evaluationIdentity: "evaluation is the identity"
    case .evaluationScale(let s): "evaluation scales by \(Conformance.format(s))"
    case .unitNormAtMost(let c): "unit norms projected to at most \(Conformance.format(c))"
    }
  }
}

/// The outcome of one expectation.
public struct ConformanceResult: Sendable {
  public var property: String
  public var passed: Bool
  /// What was measured, in one phrase.
  public var measured: String

  public init(property: String, passed: Bool, measured: String) {
    self.property = property
    self.passed = passed
    self.measured = measured
  }
}

/// The conformance gate: runs a regularizer at a site on a probe input for many training steps and checks each of
/// its `expectations`. Deterministic (fixed keys), and fast: a few hundred small forward passes.
public enum Conformance {
  /// Training draws per check, and at most this many samples per draw (fewer on large sites, so a draw holds
  /// about 32K values and a gate stays well under a second).
  static let draws = 200
  static let batch = 8
  /// Gate draws are steps from here on: past every step-counted ramp (CorrDrop's 200 iterations).
  static let stepOffset = 1_000_000

  /// Every expectation of `descriptor` with `parameters` at `site`, checked. A method that declares none is not
  /// gated (nothing to check) and returns no results.
  public static func check(_ descriptor: RegularizerDescriptor, _ parameters: [String: ConfigValue], at site: Site)
    -> [ConformanceResult]
  {
    guard case .success(let filled) = descriptor.resolve(parameters) else { return [] }
    let expectations = descriptor.expectations(filled, site)
    guard !expectations.isEmpty else { return [] }
    let plug = descriptor.make(filled, site)
    let probe = Probe(site: site)
    let needsTraining = expectations.contains { e in
      switch e {
      case .evaluationIdentity, .evaluationScale, .unitNormAtMost: false
      default: true
      }
    }
    let training = needsTraining ? (0..<draws).map { step in probe.train(plug, step: step) } : []
    let evaluated = probe.evaluate(plug)
    return expectations.map { e in
      if case .unitNormAtMost(let c) = e { return judgeUnitNorms(c, plug: plug, name: e.name) }
      return judge(e, training: training, evaluation: evaluated, probe: probe)
    }
  }

  /// A site where every method of the plug point can act with its default parameters.
  public static func representativeSite(_ plugPoint: PlugPoint) -> Site {
    switch plugPoint {
    case .activation, .featureMap: Site(name: "feature-map", shape: [16, 16, 8], stream: 7)
    case .vector: Site(name: "hidden", shape: [64], stream: 7)
    case .input: Site(name: "input", shape: [28, 28, 1], stream: 0)
    case .weights: Site(name: "hidden", kind: .weights, shape: [64, 128], stream: 7, followedByReLU: true)
    case .branch: Site(name: "block3", kind: .branch, shape: [8, 8, 4], stream: 7, depth: 3, depthCount: 6)
    case .training: Site(name: "train", kind: .training, shape: [28, 28, 1], stream: 7, classes: 10)
    case .routing: Site(name: "moe1", kind: .routing, shape: [49, 32], stream: 7, experts: 4)
    case .gates: Site(name: "gates", kind: .gates, shape: [7], stream: 7, depthCount: 3)
    }
  }

  /// Max-norm's promise on a probe matrix whose rows' norms run from 0.1 to 3 times `c`: after the hook's
  /// after-step, every row's norm is at most c, rows within c are untouched, and rows beyond it keep their direction.
  static func judgeUnitNorms(_ c: Double, plug: Plug, name: String) -> ConformanceResult {
    guard case .hook(let hook) = plug else {
      return ConformanceResult(property: name, passed: false, measured: "not a training hook")
    }
    let (units, fanIn) = (64, 32)
    var w = Tensor(shape: [units, fanIn])
    let z = RandomKey(seed: 0x4D4E).fold(.test).uniforms(w.count).map { $0 - 0.5 }
    w.withUnsafeMutableBufferPointer { b in
      for u in 0..<units {
        let row = (0..<fanIn).map { z[u * fanIn + $0] }
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let target = Float(c) * (0.1 + 2.9 * Float(u) / Float(units - 1))
        for j in 0..<fanIn { b[u * fanIn + j] = row[j] / norm * target }
      }
    }
    let before = w
    let parameter = Parameter(name: "probe", value: w, isUnitWeights: true)
    hook.afterStep([parameter], StepContext(mode: .train, key: RandomKey(seed: 1)))
    var worstExcess = 0.0
    var changedWithin = 0
    var worstDirection = 0.0
    for u in 0..<units {
      let old = Array(before.storage[(u * fanIn)..<((u + 1) * fanIn)])
      let new = Array(parameter.value.storage[(u * fanIn)..<((u + 1) * fanIn)])
      let oldNorm = Double(old.reduce(0) { $0 + $1 * $1 }.squareRoot())
      let newNorm = Double(new.reduce(0) { $0 + $1 * $1 }.squareRoot())
      worstExcess = max(worstExcess, newNorm / c - 1)
      if oldNorm <= c * (1 - 1e-4), old != new { changedWithin += 1 }
      let cosine = Double(zip(old, new).reduce(0) { $0 + $1.0 * $1.1 }) / max(1e-12, oldNorm * newNorm)
      worstDirection = max(worstDirection, 1 - cosine)
    }
    let passed = worstExcess <= 1e-5 && changedWithin == 0 && worstDirection <= 1e-5
    return ConformanceResult(
      property: name, passed: passed,
      measured: "largest norm / c − 1 = \(format(worstExcess)), \(changedWithin) rows within c changed, "
        + "direction change \(format(worstDirection))")
  }

  /// The failing properties of every site a run uses, as one sentence, or nil when all pass.
  public static func failures(_ results: [ConformanceResult]) -> String? {
    let failed = results.filter { !$0.passed }
    guard !failed.isEmpty else { return nil }
    return failed.map { "\($0.property) (measured \($0.measured))" }.joined(separator: "; ")
  }

  static func judge(_ e: Expectation, training: [Draw], evaluation: Draw, probe: Probe) -> ConformanceResult {
    switch e {
    case .dropFraction(let expected):
      let fractions = training.map { d in Double(d.factors.filter { $0 == 0 }.count) / Double(max(1, d.factors.count)) }
      let mean = fractions.reduce(0, +) / Double(fractions.count)
      let variance = fractions.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, fractions.count - 1))
      let se = (variance / Double(fractions.count)).squareRoot()
      // A difference must be both statistically clear (|z| > 4; the draws are deterministic, so this is about
      // telling a mistake from sampling noise, not about a false-alarm rate) and larger than half a point.
      let off = abs(mean - expected)
      let passed = off <= 0.005 || off <= 4 * se
      return ConformanceResult(
        property: e.name, passed: passed, measured: "\(format(mean)) ± \(format(se)) over \(training.count) draws")
    case .keptValue(let factor):
      let worst = training.flatMap { $0.factors.filter { $0 != 0 } }.map { abs(Double($0) - factor) }.max() ?? 0
      return ConformanceResult(
        property: e.name, passed: worst <= 1e-4 * max(1, factor), measured: "largest deviation \(format(worst))")
    case .keptValueRenormalised:
      var worst = 0.0
      for d in training {
        let kept = d.factors.filter { $0 != 0 }
        guard !kept.isEmpty else { continue }
        let expected = Double(d.factors.count) / Double(kept.count)
        worst = max(worst, kept.map { abs(Double($0) - expected) / expected }.max() ?? 0)
      }
      return ConformanceResult(property: e.name, passed: worst <= 1e-4, measured: "largest relative deviation \(format(worst))")
    case .channelStructure:
      let broken = training.filter { !probe.channelsUniform($0.factors) }.count
      return ConformanceResult(property: e.name, passed: broken == 0, measured: "\(broken) draws with mixed channels")
    case .spatialStructure:
      let broken = training.filter { !probe.positionsUniform($0.factors) }.count
      return ConformanceResult(property: e.name, passed: broken == 0, measured: "\(broken) draws with mixed positions")
    case .blockStructure(let size):
      let broken = training.prefix(20).filter { !probe.zerosInBlocks($0.factors, size: size) }.count
      return ConformanceResult(
        property: e.name, passed: broken == 0, measured: "\(broken) of 20 draws with zeros outside a full block")
    case .unitNormAtMost:
      return ConformanceResult(property: e.name, passed: false, measured: "judged by judgeUnitNorms")
    case .evaluationIdentity, .evaluationScale:
      let factor: Double = if case .evaluationScale(let s) = e { s } else { 1 }
      let worst = evaluation.factors.map { abs(Double($0) - factor) }.max() ?? 0
      return ConformanceResult(
        property: e.name, passed: worst <= 1e-5 * max(1, factor), measured: "largest deviation \(format(worst))")
    }
  }

  /// To 4 decimals, without a trailing ".0".
  static func format(_ x: Double) -> String { Fmt.plain((x * 10_000).rounded() / 10_000) }
}

/// One application of a plug: the factor (output / probe input) of every value it touched. Activation sites:
/// `[batch] + shape` values; weight sites: the matrix; branch and routing sites: one factor per sample; gate sites:
/// one per (sample, node).
struct Draw {
  var factors: [Float]
}

/// Drives a plug of any kind on a deterministic probe.
struct Probe {
  let site: Site
  /// Samples per draw.
  let batch: Int
  /// Positive inputs in [0.5, 1.5), so a factor is output / input and a zero is a drop.
  let input: Tensor

  init(site: Site) {
    self.site = site
    batch = max(2, min(Conformance.batch, 32_768 / max(1, site.shape.reduce(1, *))))
    let shape = site.kind == .weights ? site.shape : [batch] + site.shape
    var x = Tensor(shape: shape)
    let u = RandomKey(seed: 0x6A7E).fold(.test).uniforms(x.count)
    x.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = 0.5 + u[i] } }
    input = x
  }

  func train(_ plug: Plug, step: Int) -> Draw {
    // Progress 1 and a step far past any warm-up: a scheduled or ramped method is checked at its target strength.
    let context = StepContext(
      mode: .train, key: RandomKey(seed: 0xC0FFEE).fold(.mask).fold(step), step: Conformance.stepOffset + step)
    return apply(plug, context)
  }

  func evaluate(_ plug: Plug) -> Draw { apply(plug, .evaluation) }

  private func apply(_ plug: Plug, _ context: StepContext) -> Draw {
    switch plug {
    case .hook(let hook):
      // The training loop never calls a hook in evaluation: the identity. In training, what its batch transform
      // does to the probe images (labels all 0).
      guard context.mode == .train else { return Draw(factors: Array(repeating: 1, count: input.count)) }
      let batch = Batch(images: input, targets: .labels(Array(repeating: 0, count: self.batch)), indices: Array(0..<self.batch))
      return ratio(hook.transform(batch, context).images)
    case .layer(let layer): return ratio(layer.forward(input, context))
    case .weights(let mask): return ratio(mask.effectiveWeights(input, context) ?? input)
    case .gate(let gate):
      switch gate.decide(batch: batch, context) {
      case .keep(let f): return Draw(factors: Array(repeating: f, count: batch))
      case .drop: return Draw(factors: Array(repeating: 0, count: batch))
      case .perSample(let f): return Draw(factors: f)
      }
    case .router(let policy):
      // One factor per sample: 1 when the step routes, 0 when the router (or the whole layer) is skipped.
      let routed: Float = policy.decide(context) == .route ? 1 : 0
      return Draw(factors: Array(repeating: routed, count: batch))
    case .treeGates(let dropout):
      // One factor per (sample, node): the factor on the node's gate, 0 where its left subtree is dropped.
      let nodes = site.shape[0]
      guard context.mode == .train else {
        return Draw(factors: Array(repeating: dropout.evaluationGateScale(context), count: batch * nodes))
      }
      return Draw(factors: dropout.droppedLeft(samples: batch, nodes: nodes, context).map { $0 ? 0 : 1 })
    }
  }

  private func ratio(_ y: Tensor) -> Draw {
    precondition(y.shape == input.shape, "a plug changed the shape \(input.shape) → \(y.shape)")
    var factors = [Float](repeating: 0, count: y.count)
    y.withUnsafeBufferPointer { ys in
      input.withUnsafeBufferPointer { xs in for i in xs.indices { factors[i] = ys[i] / xs[i] } }
    }
    return Draw(factors: factors)
  }

  /// Every (sample, channel) of an `[N, H, W, C]` draw has one factor.
  func channelsUniform(_ f: [Float]) -> Bool {
    guard site.shape.count == 3 else { return true }
    let (positions, c) = (site.shape[0] * site.shape[1], site.shape[2])
    for n in 0..<batch {
      for ch in 0..<c {
        let first = f[n * positions * c + ch]
        // Factors are output / input in Float: equal up to rounding.
        for p in 1..<positions where abs(f[(n * positions + p) * c + ch] - first) > 1e-5 * max(1, abs(first)) {
          return false
        }
      }
    }
    return true
  }

  /// Every (sample, position) of an `[N, H, W, C]` draw has one factor across its channels.
  func positionsUniform(_ f: [Float]) -> Bool {
    guard site.shape.count == 3 else { return true }
    let (positions, c) = (site.shape[0] * site.shape[1], site.shape[2])
    for start in stride(from: 0, to: batch * positions * c, by: c) {
      let first = f[start]
      for ch in 1..<c where abs(f[start + ch] - first) > 1e-5 * max(1, abs(first)) { return false }
    }
    return true
  }

  /// Every zero of an `[N, H, W, C]` draw lies in some all-zero `size × size` square of its channel. Per
  /// (sample, channel): a summed-area table of the zeros finds every all-zero square in O(1) each, the squares
  /// mark what they cover, and no zero may be left unmarked.
  func zerosInBlocks(_ f: [Float], size: Int) -> Bool {
    guard site.shape.count == 3 else { return true }
    let (h, w, c) = (site.shape[0], site.shape[1], site.shape[2])
    guard size <= h, size <= w else { return false }
    var table = [Int](repeating: 0, count: (h + 1) * (w + 1))
    var covered = [Bool](repeating: false, count: h * w)
    for n in 0..<batch {
      for ch in 0..<c {
        func zero(_ i: Int, _ j: Int) -> Bool { f[((n * h + i) * w + j) * c + ch] == 0 }
        for i in 0..<h {
          for j in 0..<w {
            table[(i + 1) * (w + 1) + j + 1] =
              (zero(i, j) ? 1 : 0) + table[i * (w + 1) + j + 1] + table[(i + 1) * (w + 1) + j] - table[i * (w + 1) + j]
          }
        }
        for i in covered.indices { covered[i] = false }
        for top in 0...(h - size) {
          for left in 0...(w - size) {
            let (b, r) = (top + size, left + size)
            let zeros = table[b * (w + 1) + r] - table[top * (w + 1) + r] - table[b * (w + 1) + left]
              + table[top * (w + 1) + left]
            guard zeros == size * size else { continue }
            for a in top..<b { for x in left..<r { covered[a * w + x] = true } }
          }
        }
        for i in 0..<h { for j in 0..<w where zero(i, j) && !covered[i * w + j] { return false } }
      }
    }
    return true
  }
}

import NN
import Tensor

/// Gomez, Zhang, Kamalakara, Madaan, Swersky, Gal & Hinton, "Learning Sparse Networks Using Targeted Dropout",
/// arXiv:1905.13678 (2019); reference code github.com/for-ai/TD (`models/utils/dropouts.py`).
///
/// Acts on a fully connected layer's weights W `[out, in]` (row u: unit u's incoming weights). The targets are
/// recomputed from the current weights at every forward:
/// - `weight` variant: in every row, the ⌊γ·in⌋ weights with the smallest |w| (ties broken by lower index; the
///   reference's `|w| < threshold` would take fewer on ties);
/// - `unit` variant: the ⌊γ·out⌋ rows with the smallest L2 norm (ties broken by lower index).
/// ⌊·⌋ is taken with a 1e-9 guard, so γ·n that is an integer up to rounding (0.29 · 100) counts as that integer.
/// In training each target is dropped independently with probability α (weight variant: weight i is dropped when
/// uniform draw i of the step key folded with the site's stream is below α; unit variant: row u is zeroed whole
/// when draw u is below α; the reference draws per weight even for units). Nothing is rescaled. The gradient with
/// respect to W is the gradient with respect to the masked weights times the same mask (targets are constants).
/// Evaluation: `identity` uses the raw weights; `prune` zeroes every target (the reference's test-time rule).
/// γ = 0 or α = 0 is the identity in training. Taxonomy: architecture.
public final class TargetedDropout: WeightMask {
  public enum Variant: String, Sendable, CaseIterable {
    case weight
    case unit
  }

  public enum Evaluation: String, Sendable, CaseIterable {
    case identity
    case prune
  }

  public let gamma: Double
  public let alpha: Double
  public let variant: Variant
  public let evaluation: Evaluation
  public let stream: UInt64
  /// The keep mask of the last training forward (nil when that forward was the identity).
  private var applied: [Float]?

  /// `gamma` and `alpha` in [0, 1] (see `descriptor.validate`).
  public init(
    gamma: Double = 0.5, alpha: Double = 0.5, variant: Variant = .weight, evaluation: Evaluation = .identity,
    stream: UInt64 = 0
  ) {
    precondition(
      (0...1).contains(gamma) && (0...1).contains(alpha), "TargetedDropout: γ \(gamma) or α \(alpha) invalid")
    self.gamma = gamma
    self.alpha = alpha
    self.variant = variant
    self.evaluation = evaluation
    self.stream = stream
  }

  /// ⌊γ·n⌋, the number of targets among n candidates.
  public static func targetCount(gamma: Double, of n: Int) -> Int {
    min(n, max(0, Int((gamma * Double(n) + 1e-9).rounded(.down))))
  }

  /// The targets of `weight` `[out, in]`, one flag per weight (a unit target flags its whole row).
  public static func targets(_ weight: Tensor, gamma: Double, variant: Variant) -> [Bool] {
    let (out, inFeatures) = (weight.shape[0], weight.shape[1])
    var chosen = [Bool](repeating: false, count: weight.count)
    let w = weight.storage
    switch variant {
    case .weight:
      let k = targetCount(gamma: gamma, of: inFeatures)
      guard k > 0 else { return chosen }
      // Keys: the bits of |w| (ordered like the values, for non-negative floats) above the index, so the k
      // smallest keys are the k smallest magnitudes with ties to the lower index. Selection, not a sort: it runs
      // at every forward.
      var keys = [UInt64](repeating: 0, count: inFeatures)
      for u in 0..<out {
        let base = u * inFeatures
        for j in 0..<inFeatures { keys[j] = UInt64(abs(w[base + j]).bitPattern) << 32 | UInt64(j) }
        selectSmallest(&keys, k)
        for key in keys.prefix(k) { chosen[base + Int(key & 0xFFFF_FFFF)] = true }
      }
    case .unit:
      let k = targetCount(gamma: gamma, of: out)
      guard k > 0 else { return chosen }
      let norms = (0..<out).map { u in
        w[(u * inFeatures)..<((u + 1) * inFeatures)].reduce(0.0) { $0 + Double($1) * Double($1) }
      }
      let order = (0..<out).sorted { a, b in norms[a] < norms[b] || (norms[a] == norms[b] && a < b) }
      for u in order.prefix(k) {
        for j in 0..<inFeatures { chosen[u * inFeatures + j] = true }
      }
    }
    return chosen
  }

  /// Reorders distinct `keys` so that the first `k` are the k smallest, in no particular order (quickselect with a
  /// median-of-three pivot, linear time on average).
  static func selectSmallest(_ keys: inout [UInt64], _ k: Int) {
    guard k > 0, k < keys.count else { return }
    var (low, high) = (0, keys.count - 1)
    while low < high {
      let (a, b, c) = (keys[low], keys[(low + high) / 2], keys[high])
      let pivot = max(min(a, b), min(max(a, b), c))
      var (i, j) = (low, high)
      while i <= j {
        while keys[i] < pivot { i += 1 }
        while keys[j] > pivot { j -= 1 }
        if i <= j {
          keys.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if k - 1 <= j {
        high = j
      } else if k - 1 >= i {
        low = i
      } else {
        return
      }
    }
  }

  /// The training keep mask (1 kept, 0 dropped) of `weight`: targets dropped with probability α, drawn from `key`.
  public static func mask(_ weight: Tensor, gamma: Double, alpha: Double, variant: Variant, key: RandomKey) -> [Float] {
    let targeted = targets(weight, gamma: gamma, variant: variant)
    let threshold = Float(alpha)
    let inFeatures = weight.shape[1]
    let draws = key.uniforms(variant == .weight ? weight.count : weight.shape[0])
    var mask = [Float](repeating: 1, count: weight.count)
    for i in targeted.indices where targeted[i] {
      if draws[variant == .weight ? i : i / inFeatures] < threshold { mask[i] = 0 }
    }
    return mask
  }

  public func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor? {
    guard context.mode == .train else {
      guard evaluation == .prune, gamma > 0 else { return nil }
      let targeted = Self.targets(weight, gamma: gamma, variant: variant)
      return Masking.multiply(weight, targeted.map { $0 ? 0 : 1 })
    }
    guard alpha > 0, gamma > 0 else {
      applied = nil
      return nil
    }
    let mask = Self.mask(weight, gamma: gamma, alpha: alpha, variant: variant, key: context.key.fold(stream))
    applied = mask
    return Masking.multiply(weight, mask)
  }

  public func rawGradient(_ gradient: Tensor) -> Tensor {
    guard let applied else { return gradient }
    return Masking.multiply(gradient, applied)
  }
}

extension TargetedDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "targeted-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .weights),
    summary: "Drops, with probability α, the γ fraction of lowest-magnitude weights of each unit (or lowest-norm "
      + "units); no rescaling.",
    citation: "Gomez et al., Learning Sparse Networks Using Targeted Dropout, arXiv:1905.13678, 2019",
    parameters: [
      ParameterDescription(
        name: "gamma", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true),
        defaultValue: .double(0.5),
        doc: "targeted fraction γ: ⌊γ·in⌋ smallest-|w| weights per unit, or ⌊γ·out⌋ smallest-norm units; 0 is the "
          + "identity."),
      ParameterDescription(
        name: "alpha", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true),
        defaultValue: .double(0.5),
        doc: "drop probability α of each target in training; 0 is the identity."),
      ParameterDescription(
        name: "variant", kind: .choice(Variant.allCases.map(\.rawValue)), defaultValue: .string("weight"),
        doc: "weight: targets are single weights of each unit; unit: targets are whole units (rows)."),
      ParameterDescription(
        name: "evaluation", kind: .choice(Evaluation.allCases.map(\.rawValue)), defaultValue: .string("identity"),
        doc: "identity: the raw weights; prune: the γ targets are zeroed (the reference code's rule)."),
    ],
    plugsInto: .weights,
    evaluation: .own("the raw weights (evaluation identity), or with evaluation prune the γ targets zeroed"),
    identity: ["alpha": .double(0)],
    expectations: { params, site in
      let (gamma, alpha) = (params.double("gamma"), params.double("alpha"))
      let variant = Variant(rawValue: params.string("variant"))!
      let candidates = variant == .weight ? site.shape[1] : site.shape[0]
      let fraction = Double(targetCount(gamma: gamma, of: candidates)) / Double(candidates) * alpha
      let identity = params.string("evaluation") == Evaluation.identity.rawValue
      return [.dropFraction(fraction), .keptValue(1)] + (identity ? [.evaluationIdentity] : [])
    },
    build: { params, site in
      .weights(
        TargetedDropout(
          gamma: params.double("gamma"), alpha: params.double("alpha"),
          variant: Variant(rawValue: params.string("variant"))!,
          evaluation: Evaluation(rawValue: params.string("evaluation"))!, stream: site.stream))
    })
}

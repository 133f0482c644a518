import NN
import Tensor

/// Huang, Sun, Liu, Sedra & Weinberger, "Deep Networks with Stochastic Depth", ECCV 2016.
///
/// Block ℓ of L (`site.depth`, `site.depthCount`) survives with probability p_ℓ: with `decay = .linear`
/// (the paper's rule) p_ℓ = 1 − (ℓ/L)(1 − p_L), so the first block is almost always kept and the last one with
/// p_L; with `.uniform` every block has p_L. In training, one Bernoulli(p_ℓ) draw per block per mini-batch (draw 0
/// of the step key folded with the site's stream, kept when it is below p_ℓ): a dropped block is the identity
/// (`.drop`: its branch is not computed at all, the paper's training-time saving); a kept block is the plain block
/// (`.keep(1)`). At evaluation every branch is scaled by p_ℓ (`.keep(p_ℓ)`, the paper's test rule).
/// `inverted = true` moves the scaling into training instead: kept branches are scaled by 1/p_ℓ and evaluation is
/// the plain block. p_L = 1 is the identity in both modes. A site with no depth information (`depthCount` 0, as in
/// spec validation) is treated as the last block. Taxonomy: architecture.
public final class StochasticDepth: BranchGate {
  public enum Decay: String, Sendable, CaseIterable {
    case linear
    case uniform
  }

  /// This block's survival probability p_ℓ.
  public let survival: Double
  public let inverted: Bool
  public let stream: UInt64

  /// `survival` in (0, 1] (see `descriptor.validate`).
  public init(survival: Double, inverted: Bool = false, stream: UInt64 = 0) {
    precondition(survival > 0 && survival <= 1, "StochasticDepth: survival probability \(survival) outside (0, 1]")
    self.survival = survival
    self.inverted = inverted
    self.stream = stream
  }

  /// p_ℓ of block `depth` of `count` with last-block survival `last`.
  public static func survival(last: Double, decay: Decay, depth: Int, count: Int) -> Double {
    switch decay {
    case .uniform: return last
    case .linear:
      let fraction = count > 0 ? min(1, max(0, Double(depth) / Double(count))) : 1
      return 1 - fraction * (1 - last)
    }
  }

  /// Whether the block survives this step: uniform draw 0 of `key` below p_ℓ.
  public static func survives(survival: Double, key: RandomKey) -> Bool {
    survival >= 1 || Double(key.uniforms(1)[0]) < survival
  }

  public func decide(batch: Int, _ context: StepContext) -> BranchDecision {
    guard context.mode == .train else { return .keep(inverted ? 1 : Float(survival)) }
    guard Self.survives(survival: survival, key: context.key.fold(stream)) else { return .drop }
    return .keep(inverted ? Float(1 / survival) : 1)
  }

  public var constantAtEvaluation: Bool { true }
}

extension StochasticDepth {
  public static let descriptor = RegularizerDescriptor(
    name: "stochastic-depth", taxonomy: .architecture, traits: Traits(phase: .trainingAndTest),
    summary: "Skips whole residual branches per mini-batch with survival p_ℓ decaying linearly to p_L with depth.",
    citation: "Huang et al., Deep Networks with Stochastic Depth, ECCV 2016",
    parameters: [
      ParameterDescription(
        name: "survival_last", kind: .double(min: 0, max: 1, minInclusive: false, maxInclusive: true),
        defaultValue: .double(0.5),
        doc: "survival probability p_L of the last block (the paper's 0.5); 1 is the identity."),
      ParameterDescription(
        name: "decay", kind: .choice(Decay.allCases.map(\.rawValue)), defaultValue: .string("linear"),
        doc: "linear: p_ℓ = 1 − (ℓ/L)(1 − p_L) (the paper's rule); uniform: every block survives with p_L."),
      ParameterDescription(
        name: "inverted", kind: .bool, defaultValue: .bool(false),
        doc: "false: kept branches unscaled, evaluation scales by p_ℓ (the paper); true: kept branches scaled by "
          + "1/p_ℓ, evaluation is the plain block."),
    ],
    plugsInto: .branch,
    evaluation: .own("scale each residual branch by its survival probability p_ℓ (the plain block when inverted)"),
    identity: ["survival_last": .double(1)],
    expectations: { params, site in
      let p = survival(params, site)
      if params.bool("inverted") { return [.dropFraction(1 - p), .keptValue(1 / p), .evaluationIdentity] }
      return [.dropFraction(1 - p), .keptValue(1), .evaluationScale(p)]
    },
    build: { params, site in
      .gate(StochasticDepth(survival: survival(params, site), inverted: params.bool("inverted"), stream: site.stream))
    })

  static func survival(_ params: [String: ConfigValue], _ site: Site) -> Double {
    survival(
      last: params.double("survival_last"), decay: Decay(rawValue: params.string("decay"))!, depth: site.depth,
      count: site.depthCount)
  }
}

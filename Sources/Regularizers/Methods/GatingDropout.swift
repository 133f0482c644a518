import NN
import Tensor

/// Gating Dropout, Liu et al., "Gating Dropout: Communication-efficient Regularization for Sparsely Activated
/// Transformers", ICML 2022.
///
/// At a mixture-of-experts layer's routing site, once per training step: with probability `rate` (uniform draw 0
/// of the step key folded with the site's stream below `rate`) the step skips the router and its all-to-all
/// exchange, and every token goes to the expert on its own virtual device (`.local`, output not weighted by a
/// gate); otherwise the router routes as usual. `variant: gate-expert` is the paper's Gate-Expert-Drop (from the
/// paper, not the seed notes): a dropped step skips the expert computation too and the layer passes its residual
/// input through (`.skip`). Evaluation always routes normally (the paper turns it off at inference). One draw per
/// step for all tokens and layers' own streams, as the paper drops the all-to-all of a whole step. Rate 0 is the
/// plain layer. Taxonomy: architecture (a stochastic change of the network's routing).
public final class GatingDropout: RoutingPolicy {
  public enum Variant: String, Sendable, CaseIterable {
    case gate
    case gateExpert = "gate-expert"
  }

  public let rate: Double
  public let variant: Variant
  public let stream: UInt64

  public init(rate: Double, variant: Variant = .gate, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate <= 1, "GatingDropout: rate \(rate) outside [0, 1]")
    self.rate = rate
    self.variant = variant
    self.stream = stream
  }

  /// Whether the step with `key` (already folded with the site's stream) drops the routing.
  public static func drops(rate: Double, key: RandomKey) -> Bool {
    rate > 0 && Double(key.uniforms(1)[0]) < rate
  }

  public func decide(_ context: StepContext) -> RoutingDecision {
    guard context.mode == .train, Self.drops(rate: rate, key: context.key.fold(stream)) else { return .route }
    return variant == .gate ? .local : .skip
  }
}

extension GatingDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "gating-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .chance, phase: .training),
    summary: "With probability rate per step, tokens skip the MoE router and stay on their device's expert.",
    citation: "Liu et al., Gating Dropout: Communication-efficient Regularization for Sparsely Activated "
      + "Transformers, ICML 2022",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true),
        defaultValue: .double(0.3),
        doc: "probability that a training step skips the router (the paper's gating dropout rate, 0.3 in most of "
          + "its runs); 0 is the plain layer."),
      ParameterDescription(
        name: "variant", kind: .choice(Variant.allCases.map(\.rawValue)), defaultValue: .string("gate"),
        doc: "gate: dropped steps send tokens to the local expert (Gate-Drop); gate-expert: dropped steps skip "
          + "the expert too, the layer is its residual (the paper's Gate-Expert-Drop)."),
    ],
    plugsInto: .routing, identity: ["rate": .double(0)],
    expectations: { params, _ in [.dropFraction(params.double("rate")), .keptValue(1), .evaluationIdentity] },
    build: { params, site in
      .router(
        GatingDropout(
          rate: params.double("rate"), variant: Variant(rawValue: params.string("variant"))!, stream: site.stream))
    })
}

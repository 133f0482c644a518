import NN
import Tensor

/// Dropout in a hierarchical mixture of experts, İrsoy & Alpaydın, "Dropout regularization in hierarchical
/// mixture of experts", Neurocomputing 2021.
///
/// At every gating node of the tree, for every training sample independently: with probability `rate` (uniform
/// draw s·nodes + m of the step key folded with the site's stream below `rate`) the node's left subtree is dropped
/// — its gate is 0 and all the node's mass goes to the right subtree. Only the left subtree is ever dropped, as in
/// the paper, so a drop samples a smaller tree (the rightmost leaf is never dropped). Evaluation multiplies every
/// gate by 1 − rate: node m's response becomes (1 − p)·g_m·y_left + (1 − (1 − p)·g_m)·y_right, the expectation of
/// its training response over its own drop; drops are independent across nodes and each response is linear in
/// its children's, so the whole tree's evaluation output is exactly the expectation over all drops (tested by
/// Monte-Carlo). Rate 0 is the plain tree. Taxonomy: architecture.
public final class HMEDropout: TreeGateDropout {
  public let rate: Double
  public let stream: UInt64

  public init(rate: Double, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "HMEDropout: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.stream = stream
  }

  public func droppedLeft(samples: Int, nodes: Int, _ context: StepContext) -> [Bool] {
    guard rate > 0 else { return [] }
    let threshold = Float(rate)
    return context.key.fold(stream).uniforms(samples * nodes).map { $0 < threshold }
  }

  public func evaluationGateScale(_ context: StepContext) -> Float { Float(1 - rate) }
}

extension HMEDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "hme-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .chance, phase: .trainingAndTest),
    summary: "Per sample and gating node, drops the node's left subtree with probability rate; gates × (1 − rate) "
      + "at test.",
    citation: "İrsoy & Alpaydın, Dropout regularization in hierarchical mixture of experts, Neurocomputing 2021",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.25),
        doc: "probability that a gating node drops its left subtree for a sample (the paper tunes it per data "
          + "set); 0 is the plain tree.")
    ],
    plugsInto: .gates,
    evaluation: .own("multiply every gate by 1 − rate (the expectation over drops)"),
    identity: ["rate": .double(0)],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1), .evaluationScale(1 - rate)]
    },
    build: { params, site in .treeGates(HMEDropout(rate: params.double("rate"), stream: site.stream)) })
}

import Foundation
import Tensor

/// A hierarchical mixture of experts on the flattened input (see `HierarchicalMixture`): `blocks` levels of gating
/// nodes (default 3: 7 gates, 8 linear expert leaves), each leaf predicting the logits, or for regression the
/// target (trained on the mean squared error).
///
/// Sites: activation `input` (the flattened image), gates `gates` (every gating node of the tree).
public struct HMEDefinition: ModelDefinition {
  public let name = "hme"
  public let summary = "hierarchical mixture of experts: a soft binary tree of sigmoid gates over linear experts"
  public let task = TaskKind.classification
  public let tasks: [TaskKind] = [.classification, .regression]
  public let parameters: [ParameterDescription] = [
    .blocks(3, doc: "levels of gating nodes: 2^blocks − 1 gates over 2^blocks linear expert leaves")
  ]
  public let defaultSites = ["input"]

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    convolutionWeightCount(parameters)
  }

  /// a + b·2^depth µs per image, a and b growing with the input size (fitted to the committed default-scale runs
  /// on the project's 2-core machine, 2026-12-03: MNIST ≈ 5 + 1.6 per leaf; the 1-D regression set ≈ 0.65 + 0.017
  /// per leaf).
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double {
    let share = Double(inputShape.reduce(1, *)) / 784
    let microseconds = (0.65 + 4.35 * share) + (0.017 + 1.6 * share) * pow(2, Double(parameters["blocks"]?.asInt ?? 3))
    return 1e6 / microseconds
  }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let features = r.inputShape.reduce(1, *)
    let input = try sites.activation("input", shape: [features])
    let tree = HierarchicalMixture(
      features: features, outputs: r.classes, depth: r.parameters.int("blocks"), key: r.key.fold(0))
    tree.computesInputGradient = !input.isEmpty
    tree.dropout = try sites.gates("gates", depth: tree.depth)
    return Sequential([Flatten()] + input + [tree])
  }
}

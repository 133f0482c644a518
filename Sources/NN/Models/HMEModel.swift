import Tensor

/// A hierarchical mixture of experts on the flattened input (see `HierarchicalMixture`): `blocks` levels of gating
/// nodes (default 3: 7 gates, 8 linear expert leaves), each leaf predicting the logits, or for regression the
/// target (trained on the mean squared error).
///
/// Sites: activation `input` (the flattened image), gates `gates` (every gating node of the tree).
public struct HMEModel: ModelDefinition {
  public let name = "hme"
  public let summary = "hierarchical mixture of experts: a soft binary tree of sigmoid gates over linear experts"
  public let task = ModelTask.classification
  public let tasks: [ModelTask] = [.classification, .regression]
  public let defaultWidths: [Int]? = nil
  public let takesBlocks = true
  public let defaultSites = ["input"]
  public let defaultBlocks = 3
  public let blocksDoc = "levels of gating nodes: 2^blocks − 1 gates over 2^blocks linear expert leaves"

  public init() {}

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let features = r.inputShape.reduce(1, *)
    let input = try sites.activation("input", shape: [features])
    let tree = HierarchicalMixture(
      features: features, outputs: r.classes, depth: r.blocks ?? defaultBlocks, key: r.key.fold(0))
    tree.computesInputGradient = !input.isEmpty
    tree.dropout = try sites.gates("gates", depth: tree.depth)
    return Sequential([Flatten()] + input + [tree])
  }
}

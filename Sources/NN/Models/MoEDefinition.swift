import Tensor

/// A small mixture-of-experts classifier: the image cut into 4 × 4 patch tokens (7 × 7 = 49 of them for 28 × 28),
/// each embedded by one Linear(16 → D)–ReLU, then `blocks` mixture-of-experts sub-layers with residuals (4 experts,
/// top-1 router, load-balancing weight 0.01, see `MixtureOfExperts`), then the tokens joined and a Linear to the
/// logits. `widths`: [D, expert hidden width], default [32, 64]; `blocks`: MoE layers, default 2.
///
/// Expert e lives on virtual device e of 4; the batch is split over the devices in contiguous shards, and the
/// tokens each layer sends to another device in training are counted (`cross_device_tokens`).
///
/// Sites: activations `input` (the image) and `head` (the joined tokens, `[T·D]`); routing `moe1` … `moe<blocks>`;
/// weights `head` (the logit layer).
public struct MoEDefinition: ModelDefinition {
  public let name = "moe"
  public let summary = "patch tokens, top-1 mixture-of-experts layers on 4 virtual devices (Gating Dropout's proxy)"
  public let task = TaskKind.classification
  public let parameters: [ParameterDescription] = [
    .widths([32, 64], doc: "[token width D, expert hidden width]"), .blocks(2, doc: "mixture-of-experts layers"),
  ]
  public let defaultSites = ["head"]
  public static let experts = 4
  public static let patch = 4

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    convolutionWeightCount(parameters)
  }

  /// Two layers train 11k images/s (fitted to the committed default-scale runs on the project's 2-core machine,
  /// 2026-12-03, median); the cost grows with the layers.
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double {
    11_000 * 2 / Double(max(1, parameters["blocks"]?.asInt ?? 2))
  }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let (h, w, c) = (r.inputShape[0], r.inputShape[1], r.inputShape[2])
    let widths = r.parameters.ints("widths")
    let (dim, hidden) = (widths[0], widths.count > 1 ? widths[1] : 2 * widths[0])
    let tokens = (h / Self.patch) * (w / Self.patch)
    var layers: [Layer] = try sites.activation("input", shape: r.inputShape)
    let embed = Linear(inFeatures: Self.patch * Self.patch * c, outFeatures: dim, key: r.key.fold(0))
    embed.computesInputGradient = !layers.isEmpty
    layers += [PatchTokens(patch: Self.patch), embed, ReLU()]
    let traffic = TokenTraffic()
    sites.modelHook(traffic)
    for b in 1...r.parameters.int("blocks") {
      let layer = MixtureOfExperts(
        dim: dim, hidden: hidden, experts: Self.experts, tokens: tokens, key: r.key.fold(b), traffic: traffic)
      layer.policy = try sites.routing("moe\(b)", tokens: tokens, dim: dim, experts: Self.experts)
      sites.modelHook(layer)
      layers.append(layer)
    }
    layers.append(JoinTokens(tokens: tokens))
    layers += try sites.activation("head", shape: [tokens * dim])
    let output = Linear(inFeatures: tokens * dim, outFeatures: r.classes, key: r.key.fold(1000), gain: 1)
    try sites.weights("head", of: output, followedByReLU: false)
    layers.append(output)
    return Sequential(layers)
  }
}

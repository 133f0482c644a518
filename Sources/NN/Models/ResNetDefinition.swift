import Tensor

/// CIFAR-style ResNet (He et al. 2016): a 3×3 stem, three stages of `blocks` BasicBlocks of `widths` channels
/// (stride 2 at the start of stages 2 and 3), global average pooling and a Linear; depth 6·blocks + 2.
///
/// Sites: activations `input` and `stage<s>` (after each stage); per block k = 1…L in order: branch `block<k>`
/// (Stochastic Depth, DropPath), activations `block<k>_mid` (between the branch's convolutions), `block<k>_branch`
/// (the branch's output before the add) and `block<k>_skip` (the shortcut before the add) — DropBlock's
/// placements; weights `output`.
public struct ResNetDefinition: ModelDefinition {
  public let name = "resnet"
  public let summary = "CIFAR-style ResNet of BasicBlocks, depth 6·blocks + 2"
  public let task = TaskKind.classification
  public let parameters: [ParameterDescription] = [
    .widths([16, 32, 64], doc: "layer widths (mlp hidden layers, resnet stages, unet levels)"),
    .blocks(1, doc: "BasicBlocks per stage (depth 6n+2)"),
  ]
  public let defaultSites = ["stage2", "stage3"]
  public let stages: Int? = 3

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    convolutionWeightCount(parameters)
  }

  /// ResNet-8 (one block per stage) trains 2.2k images/s (fitted to the committed default-scale runs on the
  /// project's 2-core machine, 2026-12-03, median); the cost grows with the blocks.
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double {
    2_200 / Double(parameters["blocks"]?.asInt ?? 1)
  }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let (h, w, c) = (r.inputShape[0], r.inputShape[1], r.inputShape[2])
    let key = r.key
    let widths = r.parameters.ints("widths")
    let blocks = r.parameters.int("blocks")
    var layers: [Layer] = try sites.activation("input", shape: r.inputShape, legacyStream: 0)
    let stem = Conv2d(inChannels: c, outChannels: widths[0], kernel: 3, padding: 1, bias: false, key: key.fold(0))
    stem.computesInputGradient = !layers.isEmpty
    layers += [stem, BatchNorm(channels: widths[0], relu: true)]
    var channels = widths[0]
    var (height, width) = (h, w)
    let depth = widths.count * blocks
    for (stage, stageWidth) in widths.enumerated() {
      for b in 0..<blocks {
        let stride = (stage > 0 && b == 0) ? 2 : 1
        if stride == 2 { (height, width) = ((height + 1) / 2, (width + 1) / 2) }
        let k = stage * blocks + b + 1
        let shape = [height, width, stageWidth]
        let gate = try sites.branch("block\(k)", shape: shape, depth: k, of: depth)
        let mid = try sites.activation("block\(k)_mid", shape: shape, depth: k)
        let branchEnd = try sites.activation("block\(k)_branch", shape: shape, depth: k)
        let skip = try sites.activation("block\(k)_skip", shape: shape, depth: k)
        layers.append(
          BasicBlock(
            inChannels: channels, outChannels: stageWidth, stride: stride, key: key.fold(100 * (stage + 1) + b),
            mid: mid, branchEnd: branchEnd, skip: skip, gate: gate))
        channels = stageWidth
      }
      layers += try sites.activation("stage\(stage + 1)", shape: [height, width, stageWidth], legacyStream: stage + 1)
    }
    let output = Linear(inFeatures: channels, outFeatures: r.classes, key: key.fold(1000), gain: 1)
    try sites.weights("output", of: output, followedByReLU: false)
    layers += [GlobalAvgPool(), output]
    return Sequential(layers)
  }
}

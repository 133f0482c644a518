import Tensor

/// Small convolutional classifier: conv3×3(32)–ReLU–pool, conv3×3(64)–ReLU–pool, Linear(128)–ReLU, Linear.
///
/// Sites: activations `input`, `conv1`, `conv2` (after each pool) and `fc1`; weights `fc1` and `output`.
public struct CNNDefinition: ModelDefinition {
  public let name = "cnn"
  public let summary = "two conv–pool stages and a 128-unit hidden layer"
  public let task = TaskKind.classification
  public let parameters: [ParameterDescription] = []
  public let defaultSites = ["fc1"]

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    convolutionWeightCount(parameters)
  }

  /// Fitted to the committed default-scale runs on the project's 2-core machine (2026-12-03, median).
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double { 4_500 }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let (h, w, c) = (r.inputShape[0], r.inputShape[1], r.inputShape[2])
    let key = r.key
    var layers: [Layer] = try sites.activation("input", shape: r.inputShape, legacyStream: 0)
    let stem = Conv2d(inChannels: c, outChannels: 32, kernel: 3, padding: 1, key: key.fold(0))
    stem.computesInputGradient = !layers.isEmpty
    // conv → ReLU → 2×2 max-pool, with the ReLU fused into the pool (exactly equal, one pass fewer).
    layers += [stem, MaxPool2d(relu: true)]
    layers += try sites.activation("conv1", shape: [h / 2, w / 2, 32], legacyStream: 1)
    layers += [
      Conv2d(inChannels: 32, outChannels: 64, kernel: 3, padding: 1, key: key.fold(1)), MaxPool2d(relu: true),
    ]
    layers += try sites.activation("conv2", shape: [h / 4, w / 4, 64], legacyStream: 2)
    let fc1 = Linear(inFeatures: (h / 4) * (w / 4) * 64, outFeatures: 128, key: key.fold(2))
    try sites.weights("fc1", of: fc1, followedByReLU: true)
    layers += [Flatten(), fc1, ReLU()]
    layers += try sites.activation("fc1", shape: [128], legacyStream: 3, weightSite: "fc1")
    let output = Linear(inFeatures: 128, outFeatures: r.classes, key: key.fold(3), gain: 1)
    try sites.weights("output", of: output, followedByReLU: false)
    layers.append(output)
    return Sequential(layers)
  }
}

import Tensor

/// Fully connected ReLU network: flatten, hidden Linear–ReLU layers of `widths`, a Linear to the logits.
///
/// Sites: activations `input` (the flattened image) and `hidden<i>` (after ReLU i); weights `hidden<i>` (the
/// Linear computing hidden layer i) and `output` (the logit layer).
public struct MLPDefinition: ModelDefinition {
  public let name = "mlp"
  public let summary = "fully connected ReLU network (Srivastava et al.'s MNIST nets)"
  public let task = TaskKind.classification
  public let parameters: [ParameterDescription] = [
    .widths([1024, 1024], doc: "layer widths (mlp hidden layers, resnet stages, unet levels)")
  ]
  public let defaultSites = ["hidden1", "hidden2"]

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    let hidden = parameters["widths"]?.asList?.compactMap(\.asInt) ?? []
    let layers = [Double(inputShape.reduce(1, *))] + hidden.map(Double.init) + [Double(classes)]
    return (1..<layers.count).reduce(0.0) { $0 + layers[$1 - 1] * layers[$1] + layers[$1] }
  }

  /// 12k images/s at 784-1024-1024-10 (fitted to the committed default-scale runs on the project's 2-core machine,
  /// 2026-12-03, median), scaled by the multiply-adds against that size.
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double {
    let widths = parameters["widths"]?.asList?.compactMap(\.asInt) ?? [1024, 1024]
    func macs(_ hidden: [Int]) -> Double {
      let layers = [inputShape.reduce(1, *)] + hidden + [10]
      return zip(layers, layers.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    }
    return 12_000 * macs([1024, 1024]) / max(1, macs(widths))
  }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let (h, w, c) = (r.inputShape[0], r.inputShape[1], r.inputShape[2])
    let widths = r.parameters.ints("widths")
    let input = try sites.activation("input", shape: [h * w * c], legacyStream: 0)
    var layers: [Layer] = [Flatten()] + input
    var fanIn = h * w * c
    for (i, width) in widths.enumerated() {
      let linear = Linear(inFeatures: fanIn, outFeatures: width, key: r.key.fold(i))
      linear.computesInputGradient = i > 0 || !input.isEmpty
      try sites.weights("hidden\(i + 1)", of: linear, followedByReLU: true)
      layers += [linear, ReLU()]
      layers += try sites.activation(
        "hidden\(i + 1)", shape: [width], legacyStream: i + 1, weightSite: "hidden\(i + 1)")
      fanIn = width
    }
    let output = Linear(inFeatures: fanIn, outFeatures: r.classes, key: r.key.fold(1000), gain: 1)
    try sites.weights("output", of: output, followedByReLU: false)
    layers.append(output)
    return Sequential(layers)
  }
}

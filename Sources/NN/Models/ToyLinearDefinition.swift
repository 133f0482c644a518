import Tensor

/// Throwaway: a one-hidden-layer classifier whose hidden width is its own parameter `hidden`.
public struct ToyLinearDefinition: ModelDefinition {
  public let name = "toy-linear"
  public let summary = "flatten, one hidden ReLU layer of `hidden` units, logits"
  public let task = ModelTask.classification
  public let parameters: [ParameterDescription] = [
    ParameterDescription(name: "hidden", kind: .int(min: 1, max: 4096), defaultValue: .int(32), doc: "hidden units")
  ]
  public let defaultSites = ["hidden"]

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    let (features, hidden) = (Double(inputShape.reduce(1, *)), Double(parameters["hidden"]?.asInt ?? 32))
    return features * hidden + hidden * Double(classes)
  }

  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double { 20_000 }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    let features = r.inputShape.reduce(1, *)
    let hidden = r.parameters.int("hidden")
    let linear = Linear(inFeatures: features, outFeatures: hidden, key: r.key.fold(0))
    try sites.weights("hidden", of: linear, followedByReLU: true)
    var layers: [Layer] = [Flatten(), linear, ReLU()]
    layers += try sites.activation("hidden", shape: [hidden], weightSite: "hidden")
    let output = Linear(inFeatures: hidden, outFeatures: r.classes, key: r.key.fold(1), gain: 1)
    try sites.weights("output", of: output, followedByReLU: false)
    layers.append(output)
    return Sequential(layers)
  }
}

import Foundation
import Tensor

/// What a model builder needs: input shape, number of outputs, the model's resolved spec parameters and what to
/// plug in at sites.
public struct ModelRequest {
  public var name: String
  /// Per-sample input shape `[H, W, C]`.
  public var inputShape: [Int]
  public var classes: Int
  /// The model's spec parameters (`widths`, `blocks`, …); `ModelRegistry.build` fills the missing ones with their
  /// defaults before the builder reads them.
  public var parameters: [String: ConfigValue]
  public var key: RandomKey
  /// How the weights are drawn. A builder draws He's scheme as it builds; `ModelRegistry.build` redraws every
  /// weight and bias under another scheme, so no model definition knows about schemes.
  public var initialization: Initialization
  /// What to put at each site as the builder reaches it (nil: nothing).
  public var plug: (Site) throws -> Plug?

  public init(
    name: String, inputShape: [Int], classes: Int, parameters: [String: ConfigValue] = [:], key: RandomKey,
    initialization: Initialization = .standard, plug: @escaping (Site) throws -> Plug? = { _ in nil }
  ) {
    self.name = name
    self.inputShape = inputShape
    self.classes = classes
    self.parameters = parameters
    self.key = key
    self.initialization = initialization
    self.plug = plug
  }

  /// A request with `widths` and `blocks` given directly (nil: the model's default).
  public init(
    name: String, inputShape: [Int], classes: Int, widths: [Int]?, blocks: Int? = nil, key: RandomKey,
    plug: @escaping (Site) throws -> Plug? = { _ in nil }
  ) {
    var parameters: [String: ConfigValue] = [:]
    parameters["widths"] = widths.map { .list($0.map(ConfigValue.int)) }
    parameters["blocks"] = blocks.map(ConfigValue.int)
    self.init(name: name, inputShape: inputShape, classes: classes, parameters: parameters, key: key, plug: plug)
  }

  public init(
    name: String, inputShape: [Int], classes: Int, blocks: Int?, key: RandomKey,
    plug: @escaping (Site) throws -> Plug? = { _ in nil }
  ) {
    self.init(name: name, inputShape: inputShape, classes: classes, widths: nil, blocks: blocks, key: key, plug: plug)
  }
}

/// A built model: the network and every site recorded while building it, in build order.
public struct Model {
  public var network: Layer
  public var sites: [Site]
  /// The fully connected layer at each weight site.
  public var weightLayers: [String: Linear] = [:]
  /// What the training loop calls besides the network (see `TrainingHook`).
  public var hooks: [TrainingHook] = []

  public var siteNames: [String] { sites.map(\.name) }
}

/// One model a spec can name, in its own file under `Models/`: its description (parameters, sites, stages, cost and
/// memory; see `ModelDescription`) and its builder. Its sites are whatever `build` records, so no list of site names
/// is kept anywhere else.
public protocol ModelDefinition: ModelDescription {
  /// Builds the network, recording every site with `sites` as it is reached. `request.parameters` holds every
  /// parameter of `parameters`, defaults filled.
  func build(_ request: ModelRequest, _ sites: SiteRecorder) throws -> Layer
}

extension ModelDefinition {
  /// The sites for input `[H, W, C]`, found by building the model with nothing plugged in (milliseconds) and
  /// remembered: validation asks for them for every planned run.
  public func sites(inputShape: [Int], parameters: [String: ConfigValue]) -> [Site] {
    SiteMemo.sites(name, inputShape: inputShape, parameters: parameters)
  }
}

extension ParameterDescription {
  /// The `widths` parameter: a list of layer or stage widths.
  public static func widths(_ defaults: [Int], doc: String) -> ParameterDescription {
    ParameterDescription(name: "widths", kind: .intList, defaultValue: .list(defaults.map(ConfigValue.int)), doc: doc)
  }

  /// The `blocks` parameter: repeated blocks or levels, 1–18.
  public static func blocks(_ defaultValue: Int, doc: String) -> ParameterDescription {
    ParameterDescription(name: "blocks", kind: .int(min: 1, max: 18), defaultValue: .int(defaultValue), doc: doc)
  }
}

/// The weights of two 3×3 convolutions per width per block, each level twice (unet-tiny's encoder and decoder):
/// the memory estimate's count for the convolutional models.
func convolutionWeightCount(_ parameters: [String: ConfigValue]) -> Double {
  let widths = parameters["widths"]?.asList?.compactMap(\.asInt) ?? []
  let blocks = parameters["blocks"]?.asInt ?? 1
  return widths.reduce(0.0) { $0 + 18 * Double(blocks) * 2 * Double($1) * Double($1) }
}

/// The models specs refer to by name.
public enum ModelRegistry {
  public static let all: [any ModelDefinition] = [
    MLPDefinition(), CNNDefinition(), ResNetDefinition(), UNetTinyDefinition(), MoEDefinition(), HMEDefinition(),
  ]

  public static var names: [String] { all.map(\.name) }

  public static func definition(_ name: String) -> (any ModelDefinition)? { all.first { $0.name == name } }

  public static func build(_ request: ModelRequest) throws -> Model {
    guard let definition = definition(request.name) else { throw ModelError.unknownModel(request.name) }
    var request = request
    request.parameters = definition.parameters.filled(request.parameters)
    let recorder = SiteRecorder(plug: request.plug)
    let network = try definition.build(request, recorder)
    request.initialization.redraw(network.parameters, key: request.key)
    try recorder.training(inputShape: request.inputShape, classes: request.classes)
    return Model(network: network, sites: recorder.sites, weightLayers: recorder.weightLayers, hooks: recorder.hooks)
  }

  /// The sites of a model for input `[H, W, C]` and the given `widths` and `blocks` (nil: the model's default).
  public static func sites(_ name: String, inputShape: [Int], widths: [Int]?, blocks: Int?) -> [Site] {
    let request = ModelRequest(
      name: name, inputShape: inputShape, classes: 2, widths: widths, blocks: blocks, key: .init(seed: 0))
    return definition(name)?.sites(inputShape: inputShape, parameters: request.parameters) ?? []
  }
}

public enum ModelError: Error, CustomStringConvertible {
  case unknownModel(String)
  public var description: String {
    switch self {
    case .unknownModel(let name):
      return "unknown model '\(name)' (choices: \(ModelRegistry.names.joined(separator: ", ")))"
    }
  }
}

/// Sites of a model for given parameters, built once per distinct request and remembered.
enum SiteMemo {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var memo: [String: [Site]] = [:]

  static func sites(_ name: String, inputShape: [Int], parameters: [String: ConfigValue]) -> [Site] {
    let key = "\(name)|\(inputShape)|\(ConfigValue.map(parameters).canonicalJSON)"
    lock.lock()
    defer { lock.unlock() }
    if let known = memo[key] { return known }
    let sites =
      (try? ModelRegistry.build(
        ModelRequest(name: name, inputShape: inputShape, classes: 2, parameters: parameters, key: RandomKey(seed: 0))))?
      .sites ?? []
    memo[key] = sites
    return sites
  }
}

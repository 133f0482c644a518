import Tensor

/// What a model builder needs: input shape, number of outputs, builder parameters and what to plug in at sites.
public struct ModelRequest {
  public var name: String
  /// Per-sample input shape `[H, W, C]`.
  public var inputShape: [Int]
  public var classes: Int
  /// Builder parameters: `widths` (mlp hidden widths, resnet stage widths, unet level widths), `blocks` (resnet
  /// blocks per stage).
  public var widths: [Int]?
  public var blocks: Int?
  public var key: RandomKey
  /// What to put at each site as the builder reaches it (nil: nothing).
  public var plug: (Site) throws -> Plug?

  public init(
    name: String, inputShape: [Int], classes: Int, widths: [Int]? = nil, blocks: Int? = nil, key: RandomKey,
    plug: @escaping (Site) throws -> Plug? = { _ in nil }
  ) {
    self.name = name
    self.inputShape = inputShape
    self.classes = classes
    self.widths = widths
    self.blocks = blocks
    self.key = key
    self.plug = plug
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

public enum ModelTask: String, Sendable {
  case classification
  case segmentation
  case regression
}

/// One model a spec can name. Each lives in its own file under `Models/`; its sites are whatever its `build`
/// records, so no list of site names is kept anywhere else.
public protocol ModelDefinition: Sendable {
  var name: String { get }
  var summary: String { get }
  var task: ModelTask { get }
  /// Default `widths`, or nil when the model takes none.
  var defaultWidths: [Int]? { get }
  /// Whether the model takes `blocks` (residual blocks per stage).
  var takesBlocks: Bool { get }
  /// Activation sites an activation regularizer uses when the spec gives no `at`.
  var defaultSites: [String] { get }
  /// Builds the network, recording every site with `sites` as it is reached.
  func build(_ request: ModelRequest, _ sites: SiteRecorder) throws -> Layer
  /// Every task the model can learn (`task` and, for a model whose outputs are free, `regression`).
  var tasks: [ModelTask] { get }
  /// What `widths` and `blocks` mean for this model, and the default `blocks` (when it takes them).
  var widthsDoc: String { get }
  var blocksDoc: String { get }
  var defaultBlocks: Int { get }
}

extension ModelDefinition {
  public var tasks: [ModelTask] { [task] }
  public var widthsDoc: String { "layer widths (mlp hidden layers, resnet stages, unet levels)" }
  public var blocksDoc: String { "BasicBlocks per stage (depth 6n+2)" }
  public var defaultBlocks: Int { 1 }
}

/// The models specs refer to by name.
public enum ModelRegistry {
  public static let all: [any ModelDefinition] = [
    MLPModel(), CNNModel(), ResNetModel(), UNetModel(), MoEModel(), HMEModel(),
  ]

  public static var names: [String] { all.map(\.name) }

  public static func definition(_ name: String) -> (any ModelDefinition)? { all.first { $0.name == name } }

  public static func build(_ request: ModelRequest) throws -> Model {
    guard let definition = definition(request.name) else { throw ModelError.unknownModel(request.name) }
    let recorder = SiteRecorder(plug: request.plug)
    let network = try definition.build(request, recorder)
    try recorder.training(inputShape: request.inputShape, classes: request.classes)
    return Model(network: network, sites: recorder.sites, weightLayers: recorder.weightLayers, hooks: recorder.hooks)
  }

  /// The sites of a model for input `[H, W, C]`, found by building it with nothing plugged in (milliseconds).
  public static func sites(_ name: String, inputShape: [Int], widths: [Int]?, blocks: Int?) -> [Site] {
    (try? build(
      ModelRequest(
        name: name, inputShape: inputShape, classes: 2, widths: widths, blocks: blocks, key: RandomKey(seed: 0))))?
      .sites ?? []
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

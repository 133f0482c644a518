
/// What the spec language, the planner and the shard dealer need to know about a model, and all they need: a
/// model's definition is its catalog entry (the `NN` module's `ModelDefinition` refines this with `build`), so no
/// code elsewhere switches on a model's name.
public protocol ModelDescription: Sendable {
  /// The spec name (`model: {name: …}`).
  var name: String { get }
  var summary: String { get }
  var task: TaskKind { get }
  /// Every task the model can learn (`task` and, for a model whose outputs are free, `regression`).
  var tasks: [TaskKind] { get }
  /// Its spec parameters (`widths`, `blocks`, …), each with its kind, default and meaning.
  var parameters: [ParameterDescription] { get }
  /// Activation sites an activation regularizer uses when the spec gives no `at`.
  var defaultSites: [String] { get }
  /// The stages `widths` indexes, one width each (resnet and unet-tiny have three), or nil when it takes any
  /// number of widths.
  var stages: Int? { get }
  /// Every site of every kind, in build order, for input `[H, W, C]` and resolved parameters.
  func sites(inputShape: [Int], parameters: [String: ConfigValue]) -> [Site]
  /// The number of weights (Float32) for these parameters: with the sites, the memory estimate that refuses
  /// configs that could never run.
  func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double
  /// Nominal single-thread training images per second at these parameters, for balancing shards. Only ratios
  /// between runs matter; `--dry-run` corrects the level from this machine's cached runs.
  func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double
}

extension ModelDescription {
  public var tasks: [TaskKind] { [task] }
  public var stages: Int? { nil }

  /// Float32 bytes of weights (×4: weights, gradients and up to two optimiser moments) plus one training batch's
  /// activations (×8: each site's output, its mask and gradients, the layers around it; ×blocks per stage) at the
  /// stage-level activation sites (`sites`; nil counts the weights alone). An estimate for refusing configs that
  /// could never run, not a prediction of peak memory.
  public func memoryEstimate(
    inputShape: [Int], classes: Int, batch: Int, parameters: [String: ConfigValue], sites: [Site]?
  ) -> Int {
    let weights = weightCount(inputShape: inputShape, classes: classes, parameters: parameters)
    let blocks = parameters["blocks"]?.asInt ?? 1
    let stageSites = (sites ?? []).filter { $0.kind == .activation && $0.depth == 0 }
    var seen: Set<String> = []
    let activations = stageSites.filter { seen.insert($0.name).inserted }
      .reduce(0.0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
    let bytes = 4 * (4 * weights + 8 * Double(batch) * Double(blocks) * activations)
    return bytes >= Double(Int.max / 2) ? Int.max / 2 : Int(bytes)
  }
}

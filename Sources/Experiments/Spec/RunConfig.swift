import Foundation

/// The fully resolved configuration of one training run: base + scale + overrides + sweep point + seed, with
/// every default filled in. Its spec-shaped snake_case tree (`tree`) is what the Runner hashes (`tree.canonicalJSON`)
/// and what results JSON stores; its `Codable` form is its typed fields, so a worker receives the config resolved at
/// plan time as it is, without decoding a tree again.
public struct RunConfig: Codable, Sendable, Hashable {
  public var dataset: DatasetConfig
  public var model: ModelConfig
  public var regularizer: RegularizerConfig
  public var train: TrainConfig
  /// How the trained network is evaluated for the run's final metrics. Grid points that differ only here share one
  /// training (the runner trains once and evaluates each).
  public var eval: EvalConfig
  public var seed: Int

  public init(
    dataset: DatasetConfig, model: ModelConfig, regularizer: RegularizerConfig, train: TrainConfig,
    eval: EvalConfig = EvalConfig(), seed: Int
  ) {
    self.dataset = dataset
    self.model = model
    self.regularizer = regularizer
    self.train = train
    self.eval = eval
    self.seed = seed
  }

  /// The config as a spec-shaped tree (snake_case keys; unset optionals omitted; `eval` only when not the default,
  /// so configs from before it existed keep their tree and cache key).
  public var tree: ConfigValue {
    var m: [String: ConfigValue] = [
      "dataset": dataset.tree, "model": model.tree, "regularizer": regularizer.tree, "train": train.tree,
      "seed": .int(seed),
    ]
    if !eval.isStandard { m["eval"] = eval.tree }
    return .map(m)
  }

  /// The tree of the training alone: `tree` without `eval`. Runs with the same training tree train identically.
  public var trainingTree: ConfigValue {
    guard case .map(var m) = tree else { return tree }
    m["eval"] = nil
    return .map(m)
  }

  /// Decodes the structure of a run tree and fills the training defaults. This does not consult a catalog:
  /// model and regularizer parameters are taken as written. `ExperimentSpec.plan` uses `resolve` instead,
  /// which also validates against the catalog.
  public init(tree: ConfigValue, file: String = "", path: String = "") throws(SpecError) {
    let top = try MapReader(tree, path: path, file: file)
    try top.checkKeys(["dataset", "model", "regularizer", "train", "eval", "seed"])
    dataset = try DatasetConfig(tree: try top.required("dataset"), path: top.keyPath("dataset"), file: file)
    model = try ModelConfig(tree: try top.required("model"), path: top.keyPath("model"), file: file)
    regularizer = try RegularizerConfig(
      tree: top.map["regularizer"] ?? .string("none"), path: top.keyPath("regularizer"), file: file)
    train = try TrainConfig.decode(try top.required("train"), path: top.keyPath("train"), file: file)
    eval =
      try top.map["eval"].map { v throws(SpecError) in
        try EvalConfig.decode(v, path: top.keyPath("eval"), file: file)
      } ?? EvalConfig()
    seed = try top.optionalInt("seed") ?? 0
  }
}

/// Which data a run trains and evaluates on.
public struct DatasetConfig: Codable, Sendable, Hashable, ConfigSection {
  public var name: String
  /// Number of training / test examples to use; nil = the whole split.
  public var trainSize: Int?
  public var testSize: Int?
  /// Seed of the subset draw, kept apart from the run seed so that every seed sees the same subset.
  public var subsetSeed: Int
  /// Fraction of the training subset held out as a validation split (stratified by class, keyed by `subsetSeed`,
  /// so every arm and seed of a spec holds out the same images), in [0, 0.5]; the run trains on the rest and its
  /// `train_*` metrics are measured there. 0 (the default): no split. Methods that need validation data (NSDropout)
  /// see it through the training loop's probe pass; nothing else does.
  public var validationFraction: Double

  public init(
    name: String, trainSize: Int? = nil, testSize: Int? = nil, subsetSeed: Int = 0, validationFraction: Double = 0
  ) {
    self.name = name
    self.trainSize = trainSize
    self.testSize = testSize
    self.subsetSeed = subsetSeed
    self.validationFraction = validationFraction
  }

  static let defaults = DatasetConfig(name: "")

  /// Every field once; `validation_fraction` appears only when set, so configs from before it existed keep their
  /// trees and keys.
  static let fields: [ConfigField<DatasetConfig>] = [
    .double(
      "validation_fraction", \.validationFraction, range: ({ $0 >= 0 && $0 <= 0.5 }, "[0, 0.5]"), omitted: { !($0 > 0) }
    ),
    .string("name", \.name), .int("train_size", \.trainSize), .int("test_size", \.testSize),
    .int("subset_seed", \.subsetSeed),
  ]

  /// `dataset: fashion-mnist` is shorthand for `dataset: {name: fashion-mnist}`.
  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    if let name = tree.asString { self.init(name: name) } else { self = try Self.decode(tree, path: path, file: file) }
  }
}

/// Which model builder a run uses, its parameters (e.g. `widths: [1024, 1024]`) and how its weights are drawn
/// (`init`, the engine's `he` unless the spec says otherwise).
public struct ModelConfig: Codable, Sendable, Hashable {
  public var name: String
  public var params: [String: ConfigValue]
  public var initialization: Initialization

  public init(name: String, params: [String: ConfigValue] = [:], initialization: Initialization = .standard) {
    self.name = name
    self.params = params
    self.initialization = initialization
  }

  /// `init` appears only when it is not the standard scheme, so every run keyed before the setting existed keeps
  /// its tree and cache key.
  var tree: ConfigValue {
    var m = params.merging(["name": .string(name)]) { _, new in new }
    if initialization != .standard { m["init"] = .string(initialization.rawValue) }
    return .map(m)
  }

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    if let name = tree.asString {
      self.init(name: name)
      return
    }
    let r = try MapReader(tree, path: path, file: file)
    var params = r.map
    params["name"] = nil
    params["init"] = nil
    var initialization = Initialization.standard
    if let written = try r.optionalString("init") {
      guard let scheme = Initialization(rawValue: written) else {
        throw SpecError.unknown(
          "initialisation", written, choices: Initialization.allCases.map(\.rawValue), file: file,
          keyPath: r.keyPath("init"))
      }
      initialization = scheme
    }
    self.init(name: try r.string("name"), params: params, initialization: initialization)
  }
}

/// Which regularizer a run uses (`none` allowed), where it plugs in, and its parameters.
public struct RegularizerConfig: Codable, Sendable, Hashable {
  public var name: String
  /// Sites in the model (or `input`) where the regularizer is applied.
  public var at: [String]
  public var params: [String: ConfigValue]
  /// Per-site parameter overrides (`site_params: {input: {rate: 0.2}}`): Srivastava's input 0.2 + hidden 0.5 is
  /// one dropout with a different rate at `input`. Every key must be one of `at`.
  public var siteParams: [String: [String: ConfigValue]]
  /// Further regularizers in the same run, each written like this one (name, at, parameters): Cutout with dropout,
  /// dropout with max-norm (`with: [{name: max-norm, c: 3}]`). At an activation site that several of them name,
  /// they apply in the order listed, this one first; a weight, branch or training site takes one regularizer only.
  /// Empty (the default) leaves the config's tree, and so every cache key, as it was before `with` existed.
  public var with: [RegularizerConfig]

  public init(
    name: String, at: [String] = [], params: [String: ConfigValue] = [:],
    siteParams: [String: [String: ConfigValue]] = [:], with: [RegularizerConfig] = []
  ) {
    self.name = name
    self.at = at
    self.params = params
    self.siteParams = siteParams
    self.with = with
  }

  /// This regularizer and its companions, in order, without `none`.
  public var all: [RegularizerConfig] {
    var first = self
    first.with = []
    return ([first] + with).filter { $0.name != "none" }
  }

  /// The parameters at one site: `params` with that site's overrides.
  public func params(at site: String) -> [String: ConfigValue] {
    params.merging(siteParams[site] ?? [:]) { _, override in override }
  }

  var tree: ConfigValue {
    var m = params.merging(["name": .string(name), "at": .list(at.map(ConfigValue.string))]) { _, new in new }
    if !siteParams.isEmpty { m["site_params"] = .map(siteParams.mapValues(ConfigValue.map)) }
    if !with.isEmpty { m["with"] = .list(with.map(\.tree)) }
    return .map(m)
  }

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    if let name = tree.asString {
      self.init(name: name)
      return
    }
    let r = try MapReader(tree, path: path, file: file)
    var params = r.map
    params["name"] = nil
    params["at"] = nil
    params["site_params"] = nil
    params["with"] = nil
    var with: [RegularizerConfig] = []
    if let given = r.map["with"] {
      guard case .list(let items) = given else {
        throw r.error("with", "expected a list of regularizers ([{name: …, …}]), got \(given)")
      }
      for (i, item) in items.enumerated() {
        let companion = try RegularizerConfig(tree: item, path: "\(r.keyPath("with")).\(i)", file: file)
        if !companion.with.isEmpty {
          throw SpecError(
            file: file, keyPath: "\(r.keyPath("with")).\(i).with",
            message: "a regularizer listed in with cannot have its own with",
            suggestion: "list every companion in the first regularizer's with")
        }
        with.append(companion)
      }
    }
    var siteParams: [String: [String: ConfigValue]] = [:]
    for (site, overrides) in try r.optionalMap("site_params") ?? [:] {
      guard case .map(let m) = overrides, !m.isEmpty else {
        throw r.error("site_params", "expected {site: {parameter: value}}, got \(site): \(overrides)")
      }
      siteParams[site] = m
    }
    self.init(
      name: try r.string("name"), at: try r.optionalStringList("at") ?? [], params: params, siteParams: siteParams,
      with: with)
  }
}

/// Optimisation settings of a run; every field has a documented default except epochs, batch and lr.
public struct TrainConfig: Codable, Sendable, Hashable, ConfigSection {
  public var epochs: Int
  public var batch: Int
  /// Batch size at evaluation (no gradients, so it can be larger). Default 1000.
  public var evalBatch: Int
  /// `sgd` (default) or `adam` (one of `TrainConfig.optimizers`).
  public var optimizer: String
  public var lr: Double
  /// SGD momentum. Default 0.9.
  public var momentum: Double
  /// Default false.
  public var nesterov: Bool
  /// L2 penalty added to the gradient. Default 0.
  public var weightDecay: Double
  /// How the learning rate evolves (one of `TrainConfig.schedules`): `constant` (default), `step` (multiplied
  /// by `gamma` at each milestone) or `cosine` (decay to 0 over training).
  public var schedule: String
  /// Fractions of training in (0, 1) at which the step schedule multiplies the rate by `gamma`.
  /// Default [0.5, 0.75].
  public var milestones: [Double]
  /// Default 0.1.
  public var gamma: Double
  /// Linear warm-up, in epochs (may be fractional). Default 0.
  public var warmupEpochs: Double
  /// Max-norm constraint c on each unit's incoming weight vector (Srivastava et al.); nil = none.
  public var maxNorm: Double?
  /// Adam moment decay rates. Defaults 0.9 and 0.999.
  public var adamBeta1: Double
  public var adamBeta2: Double
  /// Evaluate the test set every this many epochs (and after the last). Default 1.
  public var evalEvery: Int
  /// A fixed budget of optimisation steps: when set, it replaces `epochs` (as many epochs as the budget needs
  /// for the run's training-set size) and the test set is evaluated at the end only. Lets a sweep over
  /// training-set sizes give every size the same number of updates.
  public var steps: Int?

  public init(
    epochs: Int, batch: Int, evalBatch: Int = 1000, optimizer: String = "sgd", lr: Double, momentum: Double = 0.9,
    nesterov: Bool = false, weightDecay: Double = 0, schedule: String = "constant", milestones: [Double] = [0.5, 0.75],
    gamma: Double = 0.1, warmupEpochs: Double = 0, maxNorm: Double? = nil, adamBeta1: Double = 0.9,
    adamBeta2: Double = 0.999, evalEvery: Int = 1, steps: Int? = nil
  ) {
    self.evalEvery = evalEvery
    self.steps = steps
    self.epochs = epochs
    self.batch = batch
    self.evalBatch = evalBatch
    self.optimizer = optimizer
    self.lr = lr
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    self.schedule = schedule
    self.milestones = milestones
    self.gamma = gamma
    self.warmupEpochs = warmupEpochs
    self.maxNorm = maxNorm
    self.adamBeta1 = adamBeta1
    self.adamBeta2 = adamBeta2
  }

  /// Valid values of `optimizer`.
  public static let optimizers = ["sgd", "adam"]
  /// Valid values of `schedule`.
  public static let schedules = ["constant", "step", "cosine"]

  static let defaults = TrainConfig(epochs: 0, batch: 0, lr: 0)

  /// Every field once: its key, its tree value, its decoding (epochs, batch and lr required).
  static let fields: [ConfigField<TrainConfig>] = [
    .int("epochs", \.epochs, required: true), .int("batch", \.batch, required: true),
    .int("eval_batch", \.evalBatch), .choice("optimizer", \.optimizer, optimizers),
    .double("lr", \.lr, required: true), .double("momentum", \.momentum), .bool("nesterov", \.nesterov),
    .double("weight_decay", \.weightDecay), .choice("schedule", \.schedule, schedules),
    .doubles("milestones", \.milestones), .double("gamma", \.gamma), .double("warmup_epochs", \.warmupEpochs),
    .double("max_norm", \.maxNorm), .double("adam_beta1", \.adamBeta1), .double("adam_beta2", \.adamBeta2),
    .int("eval_every", \.evalEvery), .int("steps", \.steps),
  ]
}

/// Evaluation-only settings: each changes how the trained network is evaluated, never how it trains, so a sweep
/// over them trains once (`eval.*` sweep keys). The defaults are the standard evaluation.
public struct EvalConfig: Codable, Sendable, Hashable, ConfigSection {
  /// Fraction of each layer's weights pruned by magnitude before evaluation (Targeted Dropout's axis), in [0, 1).
  /// The logit layer is never pruned.
  public var prune: Double
  /// `weight`: in each unit, the smallest-|w| fraction of its incoming weights; `unit`: the fraction of units with
  /// the smallest L2 norm of their incoming weights.
  public var pruneBy: String
  /// Fraction of units every hidden fully connected layer keeps at evaluation (the first ones; the rest output
  /// zero), in (0, 1]: a plain net cut to that width, and a Structural Dropout net at that width (its sites rescale
  /// the kept features as in training).
  public var width: Double
  /// The inference rule: `standard` (each method's declared rule) or `gaussian` (DropConnect's moment matching).
  public var inference: String
  /// A masking probe, in [0, 1): the fraction of each hidden fully connected layer's units silenced at evaluation,
  /// chosen at random (keyed by the run's seed and the layer's name) — how gracefully the trained net loses units,
  /// which dropout is said to buy. 0 (the default) masks nothing.
  public var maskUnits: Double
  /// Evaluate on the test (and training) images of these classes only, e.g. Fashion-MNIST's four confusable
  /// upper-body classes [0, 2, 4, 6] as a fine-grained proxy; empty (the default) = every class. The network still
  /// chooses among all its classes.
  public var classes: [Int]

  public init(
    prune: Double = 0, pruneBy: String = "weight", width: Double = 1, inference: String = "standard",
    maskUnits: Double = 0, classes: [Int] = []
  ) {
    self.prune = prune
    self.pruneBy = pruneBy
    self.width = width
    self.inference = inference
    self.maskUnits = maskUnits
    self.classes = classes
  }

  public static let pruneCriteria = ["weight", "unit"]
  public static let inferenceRules = ["standard", "gaussian"]
  /// The standard evaluation: nothing pruned, full width, each method's own rule.
  public var isStandard: Bool { self == EvalConfig() }

  static let defaults = EvalConfig()

  /// Every field once; `mask_units` and `classes` appear only when set, so the trees (and cache keys) of evaluations
  /// from before they existed stay.
  static let fields: [ConfigField<EvalConfig>] = [
    .double("prune", \.prune, range: ({ $0 >= 0 && $0 < 1 }, "[0, 1)")), .choice("prune_by", \.pruneBy, pruneCriteria),
    .double("width", \.width, range: ({ $0 > 0 && $0 <= 1 }, "(0, 1]")),
    .choice("inference", \.inference, inferenceRules),
    .double("mask_units", \.maskUnits, range: ({ $0 >= 0 && $0 < 1 }, "[0, 1)"), omitted: { $0 == 0 }),
    ConfigField(key: "classes", encode: { $0.classes.isEmpty ? nil : .list($0.classes.map(ConfigValue.int)) }) {
      (e, r) throws(SpecError) in
      var classes: [Int] = []
      for (i, item) in (try r.optionalList("classes") ?? []).enumerated() {
        guard let c = item.asInt, c >= 0 else {
          throw SpecError(
            file: r.file, keyPath: "\(r.keyPath("classes"))[\(i)]",
            message: "expected a class index ≥ 0, got '\(item)'")
        }
        classes.append(c)
      }
      guard Set(classes).count == classes.count else { throw r.error("classes", "lists a class twice: \(classes)") }
      e.classes = classes.sorted()
    },
  ]
}

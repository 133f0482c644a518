import Datasets
import Experiments
import Foundation
import NN
import Regularizers
import Tensor

/// Trains one run from its resolved config. Pure given (config, kernels, dataset files): the same inputs give a
/// bit-identical `RunRecord` apart from `wallSeconds`.
public final class RunExecutor {
  /// Datasets loaded by this process, reused across the runs a worker executes.
  private var datasets: [DatasetKey: Dataset] = [:]
  /// The run cache, whose artifact store keeps what methods train for themselves (teachers) across runs; nil
  /// keeps them in memory for this executor's life.
  public var cacheDirectory: URL?
  /// A calibration pilot: the test split is never evaluated (`dropbench calibrate` must not see a test metric).
  public var pilot = false
  private let memoryArtifacts = MemoryArtifacts()

  struct DatasetKey: Hashable {
    var name: String
    var options: DatasetOptions
  }

  public init() {}

  public func dataset(for config: RunConfig) throws -> Dataset {
    var options = Self.datasetOptions(config)
    if pilot { options.heldOutSize = Self.pilotHeldOutSize(config.dataset.name) }
    let key = DatasetKey(name: config.dataset.name, options: options)
    if let cached = datasets[key] { return cached }
    let loaded = try DatasetRegistry.load(key.name, options: key.options)
    datasets[key] = loaded
    return loaded
  }

  /// How many held-out examples a pilot is scored on (`heldout_*` metrics): 10,000 images of a classification pool
  /// (a paired E/2-vs-E change then has a binomial sd near 0.3 pt), fewer of a generated set whose examples are
  /// dear to render (segmentation) or plentiful in information (regression).
  static func pilotHeldOutSize(_ dataset: String) -> Int {
    switch DatasetRegistry.info(dataset)?.task {
    case .segmentation: 256
    case .regression: 1000
    default: 10_000
    }
  }

  static func datasetOptions(_ config: RunConfig) -> DatasetOptions {
    DatasetOptions(
      trainSize: config.dataset.trainSize, testSize: config.dataset.testSize,
      subsetSeed: UInt64(config.dataset.subsetSeed))
  }

  /// Another evaluation of the same training: a run whose config differs from the trained one only in `eval`.
  public struct Sibling: Sendable, Codable {
    public var key: String
    public var config: RunConfig
    public var configTree: ConfigValue
    public var point: [String: ConfigValue]

    public init(key: String, config: RunConfig, configTree: ConfigValue, point: [String: ConfigValue]) {
      self.key = key
      self.config = config
      self.configTree = configTree
      self.point = point
    }
  }

  /// Runs `config` to completion (or divergence). `progress` is called after every optimisation step.
  public func execute(
    _ config: RunConfig, key cacheKey: String, point: [String: ConfigValue], configTree: ConfigValue,
    progress: (TrainingProgress) -> Void = { _ in }
  ) throws -> RunRecord {
    try execute(config, key: cacheKey, point: point, configTree: configTree, siblings: [], progress: progress)[0]
  }

  /// Trains `config` once and returns its record followed by one record per sibling, each evaluated with its own
  /// `eval` settings. Every record is what executing its config alone would give, bit for bit: the training is
  /// the same, and evaluation changes nothing in the network (pruned weights are restored).
  public func execute(
    _ config: RunConfig, key cacheKey: String, point: [String: ConfigValue], configTree: ConfigValue,
    siblings: [Sibling], progress: (TrainingProgress) -> Void = { _ in }
  ) throws -> [RunRecord] {
    let start = Date()
    let data = try dataset(for: config)
    let (train, validation) = Self.split(
      Self.trainingData(data.train, data.task), fraction: config.dataset.validationFraction,
      seed: config.dataset.subsetSeed)
    let test = Self.trainingData(data.test, data.task)
    let root = RandomKey(seed: UInt64(config.seed))
    let model = try ModelRegistry.build(
      ModelRequest(
        name: config.model.name, inputShape: Array(data.train.images.shape.dropFirst()), classes: data.classes,
        parameters: config.model.params, key: root.fold(.initialization),
        initialization: config.model.initialization, plug: try Self.plugs(config.regularizer)))
    let t = config.train
    let optimizer: NN.Optimizer =
      t.optimizer == "adam"
      ? Adam(beta1: Float(t.adamBeta1), beta2: Float(t.adamBeta2), weightDecay: Float(t.weightDecay))
      : SGD(momentum: Float(t.momentum), nesterov: t.nesterov, weightDecay: Float(t.weightDecay))
    let schedule: LearningRateSchedule =
      switch t.schedule {
      case "step": .step(milestones: t.milestones, gamma: t.gamma)
      case "cosine": .cosine
      default: .constant
      }
    var epochs = t.epochs
    var evalEvery = t.evalEvery
    if let steps = t.steps {
      let stepsPerEpoch = (train.count + t.batch - 1) / t.batch
      epochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch
      evalEvery = epochs
    }
    let outcome = Trainer.train(
      model.network, optimizer: optimizer, train: train, test: test,
      options: TrainingOptions(
        epochs: epochs, batch: t.batch, evalBatch: t.evalBatch, learningRate: t.lr, schedule: schedule,
        warmupEpochs: t.warmupEpochs, maxNorm: t.maxNorm.map { Float($0) }, key: root, evalEvery: evalEvery
      ).withTestSet(!pilot),
      hooks: model.hooks, validation: validation,
      artifacts: cacheDirectory.map { DiskArtifacts(cache: $0, regularizers: config.regularizer.all.map(\.name)) }
        ?? memoryArtifacts,
      progress: progress)
    let trainingSeconds = Date().timeIntervalSince(start)
    let members = [Sibling(key: cacheKey, config: config, configTree: configTree, point: point)] + siblings
    // The validation split's metrics under the standard evaluation, measured once (a tuning budget reads them).
    let standardValidation = validation.flatMap { v in
      outcome.divergedAtStep == nil ? Trainer.validationMetrics(model.network, v, batch: t.evalBatch) : nil
    }
    // A pilot's held-out score (images of the training pool its subset leaves out; never the test split): what the
    // regime's budget-robustness condition reads for every arm.
    let heldOut = data.heldOut.flatMap { h in
      pilot && outcome.divergedAtStep == nil
        ? Trainer.heldOutMetrics(model.network, Self.trainingData(h, data.task), batch: t.evalBatch) : nil
    }
    // Whether the training diverged or never trained is a property of the training, read on its standard
    // evaluation: a variant evaluated at a cut width or pruned may score at chance on a net that trained well (a
    // plain net cut to an eighth of its width collapses — what structural-dropout-widths measures), and is not
    // "stalled" for it.
    let status = Self.status(diverged: outcome.divergedAtStep != nil, standard: outcome.final, task: data.task, classes: data.classes)
    return members.map { member in
      let evaluationStart = Date()
      var final = outcome.final
      if status == .ok, !member.config.eval.isStandard {
        final = Self.evaluate(
          model, member.config.eval, test: test, train: train, validation: validation, batch: t.evalBatch,
          probeKey: root.fold(.evaluationProbe))
      } else if let standardValidation {
        final.merge(standardValidation) { a, _ in a }
      }
      if let heldOut { final.merge(heldOut) { a, _ in a } }
      return RunRecord(
        key: member.key, point: member.point, seed: config.seed, config: member.configTree,
        status: status, divergedAtStep: outcome.divergedAtStep,
        epochs: outcome.epochs.map { EpochMetrics(epoch: $0.epoch, trainLoss: $0.trainLoss, metrics: $0.metrics) },
        final: final, wallSeconds: trainingSeconds + Date().timeIntervalSince(evaluationStart))
    }
  }

  /// Test and training-set metrics of the trained `model` under evaluation settings `e`: weights pruned (every
  /// weight site but the logit layer, restored afterwards), then evaluated with the width and inference rule.
  static func evaluate(
    _ model: Model, _ e: EvalConfig, test: TrainingData, train: TrainingData, validation: TrainingData? = nil,
    batch: Int, probeKey: RandomKey
  ) -> [String: Double] {
    // Every hidden fully connected layer (never the logit layer) is changed in place and restored afterwards.
    let named = model.weightLayers.sorted { $0.key < $1.key }.filter { $0.key != "output" }
    let hidden = named.map(\.value)
    let saved = hidden.map { ($0.weight.value, $0.bias.value) }
    defer { for (layer, (weight, bias)) in zip(hidden, saved) { (layer.weight.value, layer.bias.value) = (weight, bias) } }
    for (name, layer) in named {
      if e.prune > 0 {
        layer.weight.value = Pruning.pruned(
          layer.weight.value, fraction: e.prune, by: Pruning.Criterion(rawValue: e.pruneBy) ?? .weight)
      }
      // Width: the layer keeps its first c = max(1, round(width · units)) units, the others output zero — the plain
      // net "cut to the same width"; a structural-dropout site then rescales the kept units by F/c as in its
      // training (its own evaluation rule reads the same width).
      if e.width < 1 {
        let kept = max(1, Int((e.width * Double(layer.outFeatures)).rounded()))
        layer.weight.value = Pruning.keepingFirstUnits(layer.weight.value, kept)
        layer.bias.value.withUnsafeMutableBufferPointer { b in for u in kept..<b.count { b[u] = 0 } }
      }
      // Masking probe: the chosen units' incoming weights and bias are zeroed, so they output zero (the hidden
      // layers feed ReLUs).
      if e.maskUnits > 0 {
        let silenced = maskedUnits(units: layer.outFeatures, fraction: e.maskUnits, layer: name, key: probeKey)
        let fanIn = layer.weight.value.count / layer.outFeatures
        layer.weight.value.withUnsafeMutableBufferPointer { w in
          for u in silenced { for j in 0..<fanIn { w[u * fanIn + j] = 0 } }
        }
        layer.bias.value.withUnsafeMutableBufferPointer { b in for u in silenced { b[u] = 0 } }
      }
    }
    let settings = EvaluationSettings(width: e.width, inference: e.inference)
    let (test, train) = (Self.only(e.classes, test), Self.only(e.classes, train))
    var metrics = Trainer.evaluate(model.network, test, batch: batch, settings: settings)
    metrics.merge(Trainer.trainingMetrics(model.network, train, batch: batch, settings: settings)) { a, _ in a }
    if let validation {
      let v = Self.only(e.classes, validation)
      metrics.merge(Trainer.validationMetrics(model.network, v, batch: batch, settings: settings)) { a, _ in a }
    }
    return metrics
  }

  /// The images of `data` whose label is one of `classes` (all of them when `classes` is empty), in their order.
  static func only(_ classes: [Int], _ data: TrainingData) -> TrainingData {
    guard !classes.isEmpty, case .labels(let labels) = data.targets else { return data }
    let wanted = Set(classes.map(Int32.init))
    let rows = labels.indices.filter { wanted.contains(labels[$0]) }
    return TrainingData(images: data.images.gather(rows: rows), targets: .labels(rows.map { labels[$0] }))
  }

  /// The units of layer `layer` silenced by the masking probe: round(fraction · units) of them (at most
  /// units − 1), a keyed random choice that depends on the run's seed and the layer's name only.
  static func maskedUnits(units: Int, fraction: Double, layer: String, key: RandomKey) -> [Int] {
    let count = min(units - 1, Int((fraction * Double(units)).rounded()))
    guard count > 0 else { return [] }
    return Array(key.fold(Site.namedStream(.weights, layer)).permutation(units).prefix(count)).sorted()
  }

  /// A classifier whose final training-set accuracy is at most chance + 5 points never trained (seen: a cnn at a
  /// high learning rate whose ReLUs all died in the first steps, loss stuck at ln 10). Such a run is `stalled`:
  /// listed and never averaged, like a diverged one.
  static func stalledAccuracy(classes: Int) -> Double { 100 / Double(max(1, classes)) + 5 }

  /// A training's status from its standard evaluation: diverged, stalled (a classifier at chance on its own
  /// training set), or ok. Every evaluation variant of the training carries it.
  static func status(diverged: Bool, standard: [String: Double], task: TaskKind, classes: Int) -> RunStatus {
    if diverged { return .diverged }
    if task == .classification, let fit = standard["train_accuracy"], fit <= stalledAccuracy(classes: classes) {
      return .stalled
    }
    return .ok
  }

  /// The training data without its validation split, and the split: for labels, round(fraction · count) of each
  /// class's examples (a keyed permutation per class, from `seed` — the dataset's subset seed, so every arm and run
  /// seed holds out the same ones); for masks, that fraction of all examples. Both keep the data's order. With
  /// fraction 0 the data is returned whole and there is no split.
  static func split(_ data: TrainingData, fraction: Double, seed: Int) -> (train: TrainingData, validation: TrainingData?) {
    guard fraction > 0 else { return (data, nil) }
    let held = validationRows(data.targets, count: data.count, fraction: fraction, seed: seed)
    let kept = (0..<data.count).filter { !held.contains($0) }
    let rows = held.sorted()
    func subset(_ r: [Int]) -> TrainingData {
      let targets: Targets =
        switch data.targets {
        case .labels(let l): .labels(r.map { l[$0] })
        case .masks(let m): .masks(m.gather(rows: r))
        case .values(let v): .values(v.gather(rows: r))
        }
      return TrainingData(images: data.images.gather(rows: r), targets: targets)
    }
    return (subset(kept), subset(rows))
  }

  /// The rows held out for validation (see `split`).
  static func validationRows(_ targets: Targets, count: Int, fraction: Double, seed: Int) -> Set<Int> {
    let key = RandomKey(seed: UInt64(seed)).fold(.dataset).fold(0x5641_4C49_4421)  // "VALID!"
    var groups: [Int32: [Int]] = [:]
    switch targets {
    case .labels(let labels): for (i, l) in labels.enumerated() { groups[l, default: []].append(i) }
    case .masks, .values: groups[0] = Array(0..<count)
    }
    var held = Set<Int>()
    for label in groups.keys.sorted() {
      let members = groups[label]!
      let take = Int((fraction * Double(members.count)).rounded())
      for j in key.fold(Int(label)).permutation(members.count).prefix(take) { held.insert(members[j]) }
    }
    return held
  }

  static func trainingData(_ split: Split, _ task: TaskKind) -> TrainingData {
    switch task {
    case .classification: TrainingData(images: split.images, targets: .labels(split.labels))
    case .segmentation: TrainingData(images: split.images, targets: .masks(split.masks!))
    case .regression: TrainingData(images: split.images, targets: .values(split.values!))
    }
  }

  /// What to plug in at each site: each of the run's regularizers (the first and those in `with`) at the sites of
  /// its kind listed in its `at`, nothing elsewhere. Where several name one activation site, their layers run in
  /// the order listed; validation gives every other kind of site one regularizer at most. The parameters are the
  /// ones resolved when the run was planned; the built site is checked against them once more (its kind and shape).
  static func plugs(_ regularizer: RegularizerConfig) throws -> (Site) throws -> Plug? {
    var entries: [(descriptor: RegularizerDescriptor, parameters: [String: [String: ConfigValue]])] = []
    for r in regularizer.all {
      guard let descriptor = RegularizerRegistry.descriptor(r.name) else { throw RunnerError.unknownRegularizer(r.name) }
      entries.append((descriptor, Dictionary(uniqueKeysWithValues: r.at.map { ($0, r.params(at: $0)) })))
    }
    guard !entries.isEmpty else { return { _ in nil } }
    return { site in
      var plugs: [Plug] = []
      for (descriptor, parameters) in entries {
        guard site.kind == descriptor.plugPoint.siteKind, let values = parameters[site.name] else { continue }
        if let problem = descriptor.problem(values, at: site) { throw RunnerError.badParameter(descriptor.name, problem) }
        plugs.append(descriptor.make(values, site))
      }
      guard plugs.count > 1 else { return plugs.first }
      let layers = plugs.compactMap { plug -> Layer? in if case .layer(let l) = plug { l } else { nil } }
      guard layers.count == plugs.count else {
        throw RunnerError.badParameter(
          entries.map(\.descriptor.name).joined(separator: " + "), "site '\(site.name)' takes one regularizer")
      }
      return .layer(Sequential(layers))
    }
  }
}

public enum RunnerError: Error, CustomStringConvertible {
  case unknownRegularizer(String)
  case badParameter(String, String)
  case workerFailed(String)
  case interrupted

  public var description: String {
    switch self {
    case .unknownRegularizer(let name): return "unknown regularizer '\(name)'"
    case .badParameter(let name, let why): return "regularizer parameter '\(name)': \(why)"
    case .workerFailed(let why): return "worker process failed: \(why)"
    case .interrupted: return "interrupted"
    }
  }
}

extension TrainingOptions {
  /// These options, evaluating the test split or not.
  func withTestSet(_ evaluate: Bool) -> TrainingOptions {
    var copy = self
    copy.evaluateTestSet = evaluate
    return copy
  }
}

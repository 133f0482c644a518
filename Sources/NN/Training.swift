import Tensor

/// What a model learns to predict: class labels, per-pixel masks `[N, H, W, 1]` in {0, 1}, or real values `[N, D]`.
public enum Targets: Sendable {
  case labels([Int32])
  case masks(Tensor)
  case values(Tensor)
}

/// Images `[N, H, W, C]` with their targets.
public struct TrainingData: Sendable {
  public var images: Tensor
  public var targets: Targets

  public init(images: Tensor, targets: Targets) {
    self.images = images
    self.targets = targets
  }

  public var count: Int { images.rows }
}

public struct TrainingOptions {
  public var epochs: Int
  public var batch: Int
  public var evalBatch: Int
  public var learningRate: Double
  public var schedule: LearningRateSchedule
  public var warmupEpochs: Double
  /// Max-norm constraint c on every unit's incoming weights (Linear layers), if set.
  public var maxNorm: Float?
  /// The run's root key; data order and masks derive from it.
  public var key: RandomKey
  /// Also evaluate the training set at every evaluation (`train_*` metrics): one more eval pass over it each time.
  public var evaluateTrainingSet: Bool
  /// Evaluate the test split at each evaluation (false for calibration pilots, which must never see a test metric;
  /// evaluation changes nothing in the network, so the training is the same either way).
  public var evaluateTestSet: Bool = true
  /// Evaluate the test set every this many epochs (and always after the last one).
  public var evalEvery: Int

  public init(
    epochs: Int, batch: Int, evalBatch: Int = 1000, learningRate: Double, schedule: LearningRateSchedule = .constant,
    warmupEpochs: Double = 0, maxNorm: Float? = nil, key: RandomKey, evaluateTrainingSet: Bool = true,
    evalEvery: Int = 1
  ) {
    self.evalEvery = max(1, evalEvery)
    self.epochs = epochs
    self.batch = batch
    self.evalBatch = evalBatch
    self.learningRate = learningRate
    self.schedule = schedule
    self.warmupEpochs = warmupEpochs
    self.maxNorm = maxNorm
    self.key = key
    self.evaluateTrainingSet = evaluateTrainingSet
  }
}

/// Where training is, for progress displays.
public struct TrainingProgress: Sendable {
  public var epoch: Int
  public var epochs: Int
  public var step: Int
  public var totalSteps: Int
  /// The epoch's mean training loss so far (for progress displays; no number depends on it).
  public var loss: Double? = nil
}

public struct EpochReport: Sendable {
  public var epoch: Int
  public var trainLoss: Double
  public var metrics: [String: Double]
}

public struct TrainingOutcome: Sendable {
  public var epochs: [EpochReport]
  /// Final metrics: the last evaluation's test and training-set metrics.
  public var final: [String: Double]
  /// The step at which the loss became NaN or infinite, if it did; training stopped there.
  public var divergedAtStep: Int?
}

/// The training loop shared by every experiment: shuffled mini-batches (order from the run key, one permutation
/// per epoch), forward, loss, backward, optimiser step, optional max-norm; test and training-set metrics at every
/// evaluation epoch.
public enum Trainer {
  /// `hooks` act on the loop itself (batch transforms, loss terms, after-step projections, per-epoch refreshes; see
  /// `TrainingHook` for the order); with none the loop is exactly the plain one.
  public static func train(
    _ network: Layer, optimizer: Optimizer, train: TrainingData, test: TrainingData, options o: TrainingOptions,
    hooks: [TrainingHook] = [], validation: TrainingData? = nil, artifacts: ArtifactStore = MemoryArtifacts(),
    progress: (TrainingProgress) -> Void = { _ in }, epochEnd: (EpochReport) -> Void = { _ in }
  ) -> TrainingOutcome {
    for hook in hooks { hook.prepare(HookSetup(train: train, artifacts: artifacts)) }
    let parameters = network.parameters
    let stepsPerEpoch = (train.count + o.batch - 1) / o.batch
    let totalSteps = stepsPerEpoch * o.epochs
    let warmupSteps = Int(o.warmupEpochs * Double(stepsPerEpoch))
    let orderKey = o.key.fold(.dataOrder)
    let maskKey = o.key.fold(.mask)
    var reports: [EpochReport] = []
    var step = 0
    for epoch in 0..<o.epochs {
      let order = orderKey.fold(epoch).permutation(train.count)
      var lossSum = 0.0
      for b in 0..<stepsPerEpoch {
        let indices = order[(b * o.batch)..<min(train.count, (b + 1) * o.batch)]
        let context = StepContext(
          mode: .train, key: maskKey.fold(step), step: step, progress: Double(step) / Double(max(1, totalSteps)))
        var batch = Batch(images: train.images.gather(rows: indices), targets: targets(train.targets, indices),
          indices: Array(indices))
        for hook in hooks { batch = hook.transform(batch, context) }
        for p in parameters { p.zeroGrad() }
        let output = network.forward(batch.images, context)
        var loss = lossAndGradient(output, batch.targets)
        if loss.loss.isFinite {
          _ = network.backward(loss.gradient)
          for hook in hooks { loss.loss += hook.addLoss(context) }
        }
        if !loss.loss.isFinite {
          return TrainingOutcome(epochs: reports, final: [:], divergedAtStep: step)
        }
        lossSum += loss.loss * Double(indices.count)
        let lr = o.schedule.rate(base: o.learningRate, step: step, totalSteps: totalSteps, warmupSteps: warmupSteps)
        optimizer.step(parameters, lr: Float(lr))
        if let c = o.maxNorm { MaxNorm.apply(parameters, c: c) }
        for hook in hooks { hook.afterStep(parameters, context) }
        step += 1
        progress(
          TrainingProgress(
            epoch: epoch, epochs: o.epochs, step: step, totalSteps: totalSteps,
            loss: lossSum / Double(min(train.count, (b + 1) * o.batch))))
      }
      if let validation { probe(network, validation, hooks: hooks.filter(\.observesValidation), batch: o.evalBatch) }
      for hook in hooks { hook.epochEnd(epoch) }
      guard (epoch + 1) % o.evalEvery == 0 || epoch + 1 == o.epochs else { continue }
      var metrics = o.evaluateTestSet ? evaluate(network, test, batch: o.evalBatch) : [:]
      if o.evaluateTrainingSet { metrics.merge(trainingMetrics(network, train, batch: o.evalBatch)) { a, _ in a } }
      for hook in hooks { metrics.merge(hook.reportedMetrics) { a, _ in a } }
      let report = EpochReport(epoch: epoch + 1, trainLoss: lossSum / Double(train.count), metrics: metrics)
      if !report.metrics.values.allSatisfy(\.isFinite) {
        return TrainingOutcome(epochs: reports + [report], final: [:], divergedAtStep: step)
      }
      reports.append(report)
      epochEnd(report)
    }
    return TrainingOutcome(epochs: reports, final: reports.last?.metrics ?? [:], divergedAtStep: nil)
  }

  /// Evaluation-mode metrics on the training set, named `train_accuracy`, `train_loss` (labels) or `train_dice`,
  /// `train_iou`, `train_loss` (masks): with the test metrics of the same epoch they give the train–test gap and
  /// the convergence of every run, which a claim's regime gate reads.
  public static func trainingMetrics(
    _ network: Layer, _ train: TrainingData, batch: Int, settings: EvaluationSettings = .standard
  ) -> [String: Double] {
    renamed(evaluate(network, train, batch: batch, settings: settings), prefix: "train_")
  }

  /// Metrics on the held-out validation split (`dataset.validation_fraction`), named `val_*` (`val_accuracy`,
  /// `val_loss`, `val_dice`, `val_mse`, …): what a tuning budget chooses a knob by, never the test split.
  public static func validationMetrics(
    _ network: Layer, _ validation: TrainingData, batch: Int, settings: EvaluationSettings = .standard
  ) -> [String: Double] {
    renamed(evaluate(network, validation, batch: batch, settings: settings), prefix: "val_")
  }

  /// Metrics on examples of the training pool that the run's training subset leaves out, named `heldout_*`
  /// (`heldout_accuracy`, `heldout_loss`, `heldout_dice`, `heldout_mse`, …): a calibration pilot's measure of
  /// generalisation, which never touches the test split.
  public static func heldOutMetrics(
    _ network: Layer, _ heldOut: TrainingData, batch: Int, settings: EvaluationSettings = .standard
  ) -> [String: Double] {
    renamed(evaluate(network, heldOut, batch: batch, settings: settings), prefix: "heldout_")
  }

  /// `evaluate`'s test-split names for another split: `test_x` → `<prefix>x`, `dice` → `<prefix>dice`;
  /// `test_error` is left out (100 − accuracy).
  static func renamed(_ metrics: [String: Double], prefix: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for (name, value) in metrics where name != "test_error" {
      out[name.hasPrefix("test_") ? prefix + name.dropFirst(5) : prefix + name] = value
    }
    return out
  }

  /// The validation probe pass: each batch shown to the hooks that observe validation, then forwarded in evaluation
  /// mode with `validationProbe` set. Nothing when no hook observes it.
  static func probe(_ network: Layer, _ validation: TrainingData, hooks: [TrainingHook], batch: Int) {
    guard !hooks.isEmpty else { return }
    let context = StepContext.evaluation(EvaluationSettings(validationProbe: true))
    var start = 0
    while start < validation.count {
      let range = start..<min(validation.count, start + batch)
      let b = Batch(
        images: validation.images.slice(rows: range), targets: targets(validation.targets, ArraySlice(Array(range))),
        indices: Array(range))
      for hook in hooks { hook.validationBatch(b) }
      _ = network.forward(b.images, context)
      start = range.upperBound
    }
  }

  /// The targets of the training rows `indices`, in batch order.
  static func targets(_ targets: Targets, _ indices: ArraySlice<Int>) -> BatchTargets {
    switch targets {
    case .labels(let labels): .labels(indices.map { labels[$0] })
    case .masks(let masks): .masks(masks.gather(rows: indices))
    case .values(let values): .values(values.gather(rows: indices))
    }
  }

  static func lossAndGradient(_ output: Tensor, _ targets: BatchTargets) -> LossResult {
    switch targets {
    case .labels(let labels): Losses.softmaxCrossEntropy(logits: output, labels: ArraySlice(labels))
    case .soft(let t): Losses.softCrossEntropy(logits: output, targets: t)
    case .masks(let masks): Losses.diceBCE(logits: output, masks: masks)
    case .values(let values): Losses.meanSquaredError(output, values)
    }
  }

  /// Evaluation-mode metrics on `data`: `test_accuracy`, `test_error` (percent) and `test_loss` for labels;
  /// `dice`, `iou` (per image at threshold 0.5, averaged; percent), `precision`, `recall` (pixels pooled over the
  /// split; percent) and `test_loss` for masks; `mse` (mean over examples and outputs) and `test_loss` (the same) for
  /// values.
  public static func evaluate(
    _ network: Layer, _ data: TrainingData, batch: Int, settings: EvaluationSettings = .standard
  ) -> [String: Double] {
    let context = settings == .standard ? StepContext.evaluation : .evaluation(settings)
    var lossSum = 0.0
    var correct = 0
    var diceSum = 0.0
    var iouSum = 0.0
    var (truePixels, predictedPixels, targetPixels) = (0.0, 0.0, 0.0)
    var squaredErrors = 0.0
    var start = 0
    while start < data.count {
      let range = start..<min(data.count, start + batch)
      let output = EvaluationForward.forward(network, data.images.slice(rows: range), context)
      switch data.targets {
      case .labels(let labels):
        let slice = labels[range]
        lossSum += Losses.softmaxCrossEntropy(logits: output, labels: slice).loss * Double(range.count)
        let k = output.rowLength
        output.withUnsafeBufferPointer { z in
          for (r, label) in slice.enumerated() {
            var best = 0
            for j in 1..<k where z[r * k + j] > z[r * k + best] { best = j }
            if best == Int(label) { correct += 1 }
          }
        }
      case .values(let values):
        let t = values.slice(rows: range)
        squaredErrors += Losses.meanSquaredError(output, t).loss * Double(t.count)
      case .masks(let masks):
        let m = masks.slice(rows: range)
        lossSum += Losses.diceBCE(logits: output, masks: m).loss * Double(range.count)
        let pixels = output.rowLength
        output.withUnsafeBufferPointer { z in
          m.withUnsafeBufferPointer { t in
            for r in 0..<range.count {
              var inter = 0.0
              var predicted = 0.0
              var truth = 0.0
              for i in (r * pixels)..<((r + 1) * pixels) {
                let p: Double = z[i] > 0 ? 1 : 0
                inter += p * Double(t[i])
                predicted += p
                truth += Double(t[i])
              }
              let union = predicted + truth - inter
              diceSum += predicted + truth > 0 ? 2 * inter / (predicted + truth) : 1
              iouSum += union > 0 ? inter / union : 1
              truePixels += inter
              predictedPixels += predicted
              targetPixels += truth
            }
          }
        }
      }
      start = range.upperBound
    }
    let n = Double(data.count)
    switch data.targets {
    case .labels:
      let accuracy = 100 * Double(correct) / n
      return ["test_accuracy": accuracy, "test_error": 100 - accuracy, "test_loss": lossSum / n]
    case .values(let values):
      let mse = squaredErrors / Double(values.count)
      return ["mse": mse, "test_loss": mse]
    case .masks:
      // Pixel precision and recall pooled over the split (as the dental-segmentation paper reports them): per image
      // they are undefined for an image with no predicted or no target pixel. 100 when there is nothing to find.
      return [
        "dice": 100 * diceSum / n, "iou": 100 * iouSum / n, "test_loss": lossSum / n,
        "precision": predictedPixels > 0 ? 100 * truePixels / predictedPixels : 100,
        "recall": targetPixels > 0 ? 100 * truePixels / targetPixels : 100,
      ]
    }
  }
}

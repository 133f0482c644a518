import Tensor
import Testing

@testable import NN

/// A fixed tiny classification problem: 8×8×1 standard-normal images, labels the argmax of a fixed random linear
/// map to `classes` scores. Linearly separable, learnable in a few epochs, no dataset files.
enum SyntheticProblem {
  static func classification(count: Int, classes: Int = 4, key: RandomKey) -> TrainingData {
    let images = Tensor.normal([count, 8, 8, 1], key: key.fold(0))
    let rule = Tensor.normal([classes, 64], key: RandomKey(seed: 2024))
    var labels: [Int32] = []
    for n in 0..<count {
      var scores = [Double](repeating: 0, count: classes)
      for k in 0..<classes {
        for i in 0..<64 { scores[k] += Double(rule.storage[k * 64 + i]) * Double(images.storage[n * 64 + i]) }
      }
      labels.append(Int32(scores.indices.max { scores[$0] < scores[$1] }!))
    }
    return TrainingData(images: images, targets: .labels(labels))
  }

  /// Masks of the pixels brighter than 0.5 (about 30 % of them): a segmentation a U-Net learns quickly.
  static func segmentation(count: Int, key: RandomKey) -> TrainingData {
    let images = Tensor.normal([count, 8, 8, 1], key: key.fold(1))
    let masks = Tensor(shape: images.shape, storage: images.storage.map { $0 > 0.5 ? 1 : 0 })
    return TrainingData(images: images, targets: .masks(masks))
  }
}

@Suite struct TrainingTests {
  let data = SyntheticProblem.classification(count: 256, key: RandomKey(seed: 1))
  let test = SyntheticProblem.classification(count: 64, key: RandomKey(seed: 2))

  func model(_ name: String, widths: [Int]? = nil, seed: UInt64 = 3) throws -> Layer {
    try ModelRegistry.build(
      ModelRequest(
        name: name, inputShape: [8, 8, 1], classes: 4, widths: widths, blocks: 1, key: RandomKey(seed: seed))
    ).network
  }

  func options(epochs: Int, lr: Double, seed: UInt64 = 4, batch: Int = 32) -> TrainingOptions {
    TrainingOptions(epochs: epochs, batch: batch, evalBatch: 100, learningRate: lr, key: RandomKey(seed: seed))
  }

  @Test(arguments: ["mlp", "cnn"]) func lossDecreases(_ name: String) throws {
    let net = try model(name, widths: name == "mlp" ? [32] : nil)
    let outcome = Trainer.train(
      net, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(epochs: 4, lr: 0.02))
    #expect(outcome.divergedAtStep == nil)
    #expect(outcome.epochs.count == 4)
    let losses = outcome.epochs.map(\.trainLoss)
    #expect(losses.first! > losses.last!, "\(losses)")
    #expect(outcome.final["test_accuracy"]! > 25, "\(outcome.final)")
  }

  /// Regression end to end: an HME learns y = 2x₀ − x₁ on 2 × 2 inputs (test MSE from about 5 to below 0.5), and
  /// the metrics are `mse`, `test_loss`, `train_mse`, `train_loss`.
  @Test func anHMELearnsARegression() throws {
    func problem(_ count: Int, _ seed: UInt64) -> TrainingData {
      let x = Tensor.normal([count, 2, 2, 1], key: RandomKey(seed: seed))
      let y: [Float] = (0..<count).map { (n: Int) -> Float in
        let a: Float = x.storage[n * 4]
        let b: Float = x.storage[n * 4 + 1]
        return 2 * a - b
      }
      return TrainingData(images: x, targets: .values(Tensor(shape: [count, 1], storage: y)))
    }
    let net = try ModelRegistry.build(
      ModelRequest(name: "hme", inputShape: [2, 2, 1], classes: 1, blocks: 2, key: RandomKey(seed: 6))
    ).network
    let outcome = Trainer.train(
      net, optimizer: Adam(), train: problem(256, 7), test: problem(64, 8), options: options(epochs: 30, lr: 0.01))
    #expect(Set(outcome.final.keys) == ["mse", "test_loss", "train_mse", "train_loss"])
    #expect(outcome.final["mse"] == outcome.final["test_loss"])
    #expect(outcome.final["mse"]! < 0.5, "\(outcome.final) \(outcome.epochs.map(\.trainLoss))")
    #expect(outcome.epochs.first!.trainLoss > 2 * outcome.epochs.last!.trainLoss)
  }

  @Test func mlpOverfitsASmallTrainingSet() throws {
    let small = SyntheticProblem.classification(count: 128, key: RandomKey(seed: 5))
    let outcome = Trainer.train(
      try model("mlp", widths: [128]), optimizer: SGD(momentum: 0.9), train: small, test: test,
      options: options(epochs: 40, lr: 0.05, batch: 16))
    #expect(outcome.final["train_accuracy"] == 100, "\(outcome.final)")
  }

  /// Every parameter value, flattened, for bit-level comparison.
  func weights(_ net: Layer) -> [Float] { net.parameters.flatMap(\.value.storage) }

  func run(_ name: String, modelSeed: UInt64, runSeed: UInt64) throws -> (weights: [Float], outcome: TrainingOutcome) {
    let net = try model(name, widths: name == "mlp" ? [32] : [4, 4, 4], seed: modelSeed)
    let o = Trainer.train(
      net, optimizer: SGD(momentum: 0.9, weightDecay: 1e-4), train: data, test: test,
      options: options(epochs: 2, lr: 0.02, seed: runSeed))
    return (weights(net), o)
  }

  @Test(arguments: ["mlp", "resnet"]) func sameSeedsGiveBitIdenticalRuns(_ name: String) throws {
    let a = try run(name, modelSeed: 3, runSeed: 4)
    let b = try run(name, modelSeed: 3, runSeed: 4)
    #expect(a.weights.map(\.bitPattern) == b.weights.map(\.bitPattern))
    #expect(a.outcome.final == b.outcome.final)
    #expect(a.outcome.epochs.map(\.trainLoss) == b.outcome.epochs.map(\.trainLoss))
    #expect(a.outcome.epochs.map(\.metrics) == b.outcome.epochs.map(\.metrics))
  }

  @Test func differentSeedsGiveDifferentRuns() throws {
    let base = try run("mlp", modelSeed: 3, runSeed: 4)
    let otherOrder = try run("mlp", modelSeed: 3, runSeed: 5)
    let otherInit = try run("mlp", modelSeed: 6, runSeed: 4)
    #expect(base.weights != otherOrder.weights)
    #expect(base.outcome.epochs.map(\.trainLoss) != otherOrder.outcome.epochs.map(\.trainLoss))
    #expect(base.weights != otherInit.weights)
  }

  // lr = 1e6 makes the two-layer ReLU network's weights grow multiplicatively until the logits overflow to ±∞ and
  // the loss is NaN. The trainer stops at that step, before applying it.
  @Test func hugeLearningRateDivergesAndStops() throws {
    let net = try model("mlp", widths: [32])
    var steps = 0
    let o = options(epochs: 3, lr: 1e6)
    let outcome = Trainer.train(
      net, optimizer: SGD(momentum: 0), train: data, test: test, options: o, progress: { _ in steps += 1 })
    let step = try #require(outcome.divergedAtStep)
    #expect(steps == step)
    #expect(outcome.final.isEmpty)
    // It stopped inside the first epoch, on the loss check (the metric check would have reported that epoch).
    #expect(step < 8)
    #expect(outcome.epochs.isEmpty)
    // The loss of that step's batch, recomputed from the parameters the trainer left, is indeed not finite.
    let order = o.key.fold(.dataOrder).fold(0).permutation(data.count)
    let indices = order[(step * 32)..<((step + 1) * 32)]
    let output = net.forward(data.images.gather(rows: indices), StepContext(mode: .train, key: o.key))
    let loss = Trainer.lossAndGradient(output, Trainer.targets(data.targets, indices)).loss
    #expect(!loss.isFinite, "loss \(loss)")
  }

  @Test func reportsProgressAndEpochs() throws {
    var progress: [TrainingProgress] = []
    var ends: [Int] = []
    let small = SyntheticProblem.classification(count: 70, key: RandomKey(seed: 7))
    let outcome = Trainer.train(
      try model("mlp", widths: [8]), optimizer: SGD(), train: small, test: test, options: options(epochs: 2, lr: 0.01),
      progress: { progress.append($0) }, epochEnd: { ends.append($0.epoch) })
    // 70 samples in batches of 32: 3 steps per epoch, the last one of 6.
    #expect(progress.map(\.step) == Array(1...6))
    #expect(progress.allSatisfy { $0.totalSteps == 6 && $0.epochs == 2 })
    #expect(progress.map(\.epoch) == [0, 0, 0, 1, 1, 1])
    #expect(ends == [1, 2])
    #expect(Set(outcome.final.keys) == ["test_accuracy", "test_error", "test_loss", "train_accuracy", "train_loss"])
    // Training-set metrics are recorded at every evaluation, for the regime gate's train–test gap and plateau.
    #expect(outcome.epochs.allSatisfy { $0.metrics["train_accuracy"] != nil && $0.metrics["train_loss"] != nil })
    #expect(abs(outcome.final["test_accuracy"]! + outcome.final["test_error"]! - 100) <= 1e-9)
  }

  @Test func evaluatesEveryFewEpochsAndAfterTheLast() throws {
    var o = options(epochs: 5, lr: 0.01)
    o.evalEvery = 2
    let outcome = Trainer.train(try model("mlp", widths: [8]), optimizer: SGD(), train: data, test: test, options: o)
    #expect(outcome.epochs.map(\.epoch) == [2, 4, 5])
  }

  // After every step the max-norm constraint holds for every Linear unit: row norms ≤ c (Float rounding 1e-5).
  @Test func maxNormHoldsDuringTraining() throws {
    var o = options(epochs: 2, lr: 0.1)
    o.maxNorm = 0.5
    let net = try model("mlp", widths: [16])
    _ = Trainer.train(net, optimizer: SGD(momentum: 0.9), train: data, test: test, options: o)
    let units = net.parameters.filter(\.isUnitWeights)
    #expect(units.count == 2)
    for p in units {
      let fanIn = p.value.shape[1]
      for u in 0..<p.value.shape[0] {
        let row = p.value.storage[(u * fanIn)..<((u + 1) * fanIn)]
        let norm = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(norm <= 0.5 * (1 + 1e-5))
      }
    }
  }

  @Test func unetLearnsASegmentation() throws {
    let train = SyntheticProblem.segmentation(count: 32, key: RandomKey(seed: 8))
    let held = SyntheticProblem.segmentation(count: 8, key: RandomKey(seed: 9))
    let net = try ModelRegistry.build(
      ModelRequest(name: "unet-tiny", inputShape: [8, 8, 1], classes: 1, widths: [2, 3, 4], key: RandomKey(seed: 3))
    ).network
    let outcome = Trainer.train(
      net, optimizer: Adam(), train: train, test: held, options: options(epochs: 5, lr: 0.01, batch: 8))
    #expect(outcome.divergedAtStep == nil)
    #expect(
      Set(outcome.final.keys) == [
        "dice", "iou", "precision", "recall", "test_loss", "train_dice", "train_iou", "train_precision", "train_recall",
        "train_loss",
      ])
    #expect(outcome.epochs.first!.trainLoss > outcome.epochs.last!.trainLoss)
  }

  // Metrics of known logits through the identity network: argmax accuracy, and Dice / IoU at logit 0.
  @Test func evaluationMetrics() {
    let logits = Tensor(shape: [3, 2], storage: [1, 0, 0, 1, 2, 3])
    let labels = TrainingData(images: logits, targets: .labels([0, 0, 1]))
    let m = Trainer.evaluate(Identity(), labels, batch: 2)
    #expect(abs(m["test_accuracy"]! - 200.0 / 3) <= 1e-9)
    #expect(abs(m["test_loss"]! - Losses.softmaxCrossEntropy(logits: logits, labels: [0, 0, 1]).loss) <= 1e-6)

    let z = Tensor(shape: [2, 2, 2, 1], storage: [1, -1, 1, -1, -1, -1, -1, -1])
    let t = Tensor(shape: [2, 2, 2, 1], storage: [1, 1, 0, 0, 0, 0, 0, 0])
    let s = Trainer.evaluate(Identity(), TrainingData(images: z, targets: .masks(t)), batch: 1)
    // Image 1: Dice 2·1/(2 + 2) = 50 %, IoU 1/3; image 2 is empty in both, which counts as a perfect match.
    #expect(abs(s["dice"]! - 75) <= 1e-9)
    #expect(abs(s["iou"]! - 200.0 / 3) <= 1e-9)
    // Pooled pixels: 2 predicted, 2 target, 1 both: precision 50 %, recall 50 %.
    #expect(s["precision"] == 50 && s["recall"] == 50)
    // Pooled, not averaged per image: image 1 predicts 3 pixels (2 right), image 2 has 1 target pixel, missed.
    let z2 = Tensor(shape: [2, 2, 2, 1], storage: [1, 1, 1, -1, -1, -1, -1, -1])
    let t2 = Tensor(shape: [2, 2, 2, 1], storage: [1, 1, 0, 0, 0, 0, 0, 1])
    let p = Trainer.evaluate(Identity(), TrainingData(images: z2, targets: .masks(t2)), batch: 2)
    #expect(abs(p["precision"]! - 200.0 / 3) <= 1e-9)
    #expect(abs(p["recall"]! - 200.0 / 3) <= 1e-9)
    // Nothing to find and nothing predicted: both 100.
    let empty = Tensor(shape: [1, 2, 2, 1], storage: [-1, -1, -1, -1])
    let e = Trainer.evaluate(Identity(), TrainingData(images: empty, targets: .masks(Tensor(shape: [1, 2, 2, 1]))), batch: 1)
    #expect(e["precision"] == 100 && e["recall"] == 100)
  }
}

import Tensor
import Testing

@testable import NN

/// The training loop's plug point (`TrainingHook`): a batch transform, a loss term and an after-step hook are
/// called where the protocol says, a model records its `train` site and collects hooks, soft targets train, and a
/// loop with no hooks is the plain one.
@Suite struct TrainingHookTests {
  let data = SyntheticProblem.classification(count: 96, key: RandomKey(seed: 1))
  let test = SyntheticProblem.classification(count: 32, key: RandomKey(seed: 2))

  func mlp(plug: @escaping (Site) throws -> Plug? = { _ in nil }) throws -> Model {
    try ModelRegistry.build(
      ModelRequest(name: "mlp", inputShape: [8, 8, 1], classes: 4, widths: [16], key: RandomKey(seed: 3), plug: plug))
  }

  func options(epochs: Int = 2, maxNorm: Float? = nil) -> TrainingOptions {
    TrainingOptions(epochs: epochs, batch: 32, evalBatch: 100, learningRate: 0.05, maxNorm: maxNorm, key: RandomKey(seed: 4))
  }

  /// Records every call, in order, and can stand in for each kind of hook.
  final class Recorder: TrainingHook {
    var calls: [String] = []
    var penalty = 0.0
    var softTargets = false
    func transform(_ batch: Batch, _ context: StepContext) -> Batch {
      calls.append("transform \(context.step)")
      guard softTargets, case .labels(let labels) = batch.targets else { return batch }
      // One-hot rows: the same loss as the hard labels.
      var t = Tensor(shape: [labels.count, 4])
      for (r, label) in labels.enumerated() { t.storage[r * 4 + Int(label)] = 1 }
      return Batch(images: batch.images, targets: .soft(t), indices: batch.indices)
    }
    func addLoss(_ context: StepContext) -> Double {
      calls.append("loss \(context.step)")
      return penalty
    }
    func afterStep(_ parameters: [Parameter], _ context: StepContext) { calls.append("step \(context.step)") }
    func epochEnd(_ epoch: Int) { calls.append("epoch \(epoch)") }
  }

  @Test func everyModelRecordsOneTrainingSiteAfterItsLayers() throws {
    for name in ModelRegistry.names {
      let shape = name == "unet-tiny" ? [16, 16, 1] : [8, 8, 1]
      let sites = ModelRegistry.sites(name, inputShape: shape, widths: nil, blocks: 1)
      #expect(sites.filter { $0.kind == .training }.map(\.name) == ["train"], "\(name)")
      #expect(sites.last?.kind == .training && sites.last?.shape == shape, "\(name)")
    }
  }

  @Test func hooksAreCalledInTheDeclaredOrder() throws {
    let recorder = Recorder()
    let model = try mlp { site in site.kind == .training ? .hook(recorder) : nil }
    #expect(model.hooks.count == 1)
    _ = Trainer.train(
      model.network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(), hooks: model.hooks)
    // 96 examples / batch 32 = 3 steps per epoch, two epochs.
    var expected: [String] = []
    for epoch in 0..<2 {
      for step in (epoch * 3)..<(epoch * 3 + 3) { expected += ["transform \(step)", "loss \(step)", "step \(step)"] }
      expected.append("epoch \(epoch)")
    }
    #expect(recorder.calls == expected)
  }

  @Test func noHooksAndIdleHooksLeaveTrainingBitIdentical() throws {
    let plain = Trainer.train(
      try mlp().network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options())
    let recorder = Recorder()
    let hooked = try mlp { site in site.kind == .training ? .hook(recorder) : nil }
    let withHook = Trainer.train(
      hooked.network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(), hooks: hooked.hooks)
    #expect(plain.epochs.map(\.trainLoss) == withHook.epochs.map(\.trainLoss))
    #expect(plain.final == withHook.final)
  }

  @Test func aLossTermIsAddedToTheReportedLoss() throws {
    let recorder = Recorder()
    recorder.penalty = 0.25
    let hooked = try mlp { site in site.kind == .training ? .hook(recorder) : nil }
    let plain = Trainer.train(
      try mlp().network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(epochs: 1))
    let withTerm = Trainer.train(
      hooked.network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(epochs: 1),
      hooks: hooked.hooks)
    // A constant term adds its value and no gradient: same parameters, loss higher by exactly the penalty.
    #expect(abs(withTerm.epochs[0].trainLoss - plain.epochs[0].trainLoss - 0.25) < 1e-9)
    #expect(withTerm.final == plain.final)
  }

  @Test func oneHotSoftTargetsTrainLikeHardLabels() throws {
    let recorder = Recorder()
    recorder.softTargets = true
    let hooked = try mlp { site in site.kind == .training ? .hook(recorder) : nil }
    let plain = Trainer.train(
      try mlp().network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options())
    let soft = Trainer.train(
      hooked.network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(), hooks: hooked.hooks)
    for (a, b) in zip(plain.epochs, soft.epochs) { #expect(abs(a.trainLoss - b.trainLoss) < 1e-4) }
    #expect(abs(plain.final["test_accuracy"]! - soft.final["test_accuracy"]!) <= 100.0 / 32)
  }

  @Test func softCrossEntropyMatchesHardLabelsAndFiniteDifferences() {
    let logits = Tensor.normal([3, 5], key: RandomKey(seed: 9))
    let labels: [Int32] = [4, 0, 2]
    var oneHot = Tensor(shape: [3, 5])
    for (r, l) in labels.enumerated() { oneHot.storage[r * 5 + Int(l)] = 1 }
    let hard = Losses.softmaxCrossEntropy(logits: logits, labels: ArraySlice(labels))
    let soft = Losses.softCrossEntropy(logits: logits, targets: oneHot)
    #expect(abs(hard.loss - soft.loss) < 1e-6)
    for (a, b) in zip(hard.gradient.storage, soft.gradient.storage) { #expect(abs(a - b) < 1e-6) }
    // A mixed target (CutMix's area-weighted labels): gradient against central differences.
    var mixed = Tensor(shape: [3, 5])
    for r in 0..<3 { mixed.storage[r * 5 + r] = 0.7; mixed.storage[r * 5 + 4 - r] += 0.3 }
    let g = Losses.softCrossEntropy(logits: logits, targets: mixed).gradient
    for i in 0..<logits.count {
      var plus = logits
      var minus = logits
      plus.storage[i] += 1e-2
      minus.storage[i] -= 1e-2
      let numeric =
        (Losses.softCrossEntropy(logits: plus, targets: mixed).loss
          - Losses.softCrossEntropy(logits: minus, targets: mixed).loss) / 2e-2
      #expect(abs(numeric - Double(g.storage[i])) < 2e-3, "coordinate \(i): \(numeric) vs \(g.storage[i])")
    }
  }

  /// A layer plugged at an activation site that is also a hook (its own penalty or refresh) is collected too.
  @Test func aPluggedLayerThatIsAHookIsCalled() throws {
    final class Counting: Layer, TrainingHook {
      var epochs = 0
      func forward(_ x: Tensor, _ context: StepContext) -> Tensor { x }
      func backward(_ dy: Tensor) -> Tensor { dy }
      func epochEnd(_ epoch: Int) { epochs += 1 }
    }
    let layer = Counting()
    let model = try mlp { site in site.kind == .activation && site.name == "hidden1" ? .layer(layer) : nil }
    #expect(model.hooks.count == 1)
    _ = Trainer.train(
      model.network, optimizer: SGD(momentum: 0.9), train: data, test: test, options: options(epochs: 3),
      hooks: model.hooks)
    #expect(layer.epochs == 3)
  }

  @Test func aHookAtTheWrongKindOfSiteIsAnError() {
    #expect(throws: SiteError.self) {
      _ = try mlp { site in site.kind == .activation ? .hook(Recorder()) : nil }
    }
    #expect(throws: SiteError.self) {
      _ = try mlp { site in site.kind == .training ? .layer(Sequential([])) : nil }
    }
  }
}

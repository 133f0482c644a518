import Datasets
import Experiments
import Foundation
import NN
import Tensor
import Testing

@testable import Runner

/// `dataset.validation_fraction`: a stratified, keyed, disjoint split; methods that need it are refused without it;
/// the probe pass shows hooks the validation split only.
@Suite struct ValidationSplitTests {
  static func labelled(_ labels: [Int32]) -> TrainingData {
    var images = Tensor(shape: [labels.count, 1, 1, 1])
    for i in 0..<labels.count { images.storage[i] = Float(i) }
    return TrainingData(images: images, targets: .labels(labels))
  }

  @Test func theSplitIsDisjointStratifiedAndKeyedBySubsetSeed() {
    let labels: [Int32] = (0..<100).map { Int32($0 % 3 == 0 ? 0 : ($0 % 3 == 1 ? 1 : 2)) } + Array(repeating: 1, count: 20)
    let data = Self.labelled(labels)
    let (train, validation) = RunExecutor.split(data, fraction: 0.2, seed: 4)
    let v = try! #require(validation)
    let trainRows = Set(train.images.storage.map { Int($0) })
    let validationRows = Set(v.images.storage.map { Int($0) })
    #expect(trainRows.isDisjoint(with: validationRows) && trainRows.union(validationRows) == Set(0..<120))
    // Per class: round(0.2 · count) held out (class 0: 34 → 7, class 1: 53 → 11, class 2: 33 → 7).
    guard case .labels(let held) = v.targets else { return }
    #expect([0, 1, 2].map { c in held.filter { $0 == Int32(c) }.count } == [7, 11, 7])
    // Keyed by the subset seed: the same split for every run seed, another for another subset seed.
    #expect(RunExecutor.validationRows(data.targets, count: 120, fraction: 0.2, seed: 4) == validationRows)
    #expect(RunExecutor.validationRows(data.targets, count: 120, fraction: 0.2, seed: 5) != validationRows)
    let (whole, none) = RunExecutor.split(data, fraction: 0, seed: 4)
    #expect(none == nil && whole.images == data.images)
  }

  @Test func methodsThatNeedValidationAreRefusedWithoutIt() throws {
    func resolve(_ dataset: String) throws -> RunConfig {
      try RunConfig.resolve(
        tree: try ConfigValue.parseYAML(
          """
          dataset: \(dataset)
          model: {name: mlp, widths: [16, 16]}
          regularizer: {name: nsdropout, rate: 0.25}
          train: {epochs: 1, batch: 32, lr: 0.1}
          """), catalog: CatalogBuilder.catalog)
    }
    do {
      _ = try resolve("{name: mnist-5k, train_size: 200}")
      Issue.record("nsdropout without a validation split was accepted")
    } catch let error as SpecError {
      #expect(error.keyPath == "base.regularizer.name" && error.message.contains("validation split"), "\(error)")
    }
    let config = try resolve("{name: mnist-5k, train_size: 200, validation_fraction: 0.2}")
    #expect(config.dataset.validationFraction == 0.2)
    #expect(config.tree[path: "dataset.validation_fraction"] == .double(0.2))
    // A run trains on the 80% and NSDropout drops units from the first epoch end on.
    _ = try BLAS.info()
    let record = try RunExecutor().execute(
      try RunConfig.resolve(
        tree: try ConfigValue.parseYAML(
          """
          dataset: {name: mnist-5k, train_size: 200, test_size: 100, validation_fraction: 0.2}
          model: {name: mlp, widths: [16, 16]}
          regularizer: {name: nsdropout, rate: 0.25}
          train: {epochs: 2, batch: 32, lr: 0.1}
          """), catalog: CatalogBuilder.catalog), key: "k", point: [:], configTree: .null)
    #expect(record.status == .ok && record.final["test_accuracy"] != nil)
  }

  /// The probe pass: a hook that observes validation sees exactly the validation labels once per epoch, in
  /// evaluation mode with the probe flag; nothing of the test set.
  @Test func theProbePassShowsHooksTheValidationSplitOnly() throws {
    final class Watcher: Layer, TrainingHook {
      var validationLabels: [[Int32]] = []
      var probes = 0
      var plainEvaluations = 0
      var observesValidation: Bool { true }
      func validationBatch(_ batch: Batch) {
        if case .labels(let l) = batch.targets { validationLabels.append(l) }
      }
      func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
        if context.mode == .eval { if context.evaluation.validationProbe { probes += 1 } else { plainEvaluations += 1 } }
        return x
      }
      func backward(_ dy: Tensor) -> Tensor { dy }
    }
    let watcher = Watcher()
    let model = try ModelRegistry.build(
      ModelRequest(
        name: "mlp", inputShape: [1, 1, 1], classes: 3, widths: [4], key: RandomKey(seed: 1),
        plug: { site in site.kind == .activation && site.name == "hidden1" ? .layer(watcher) : nil }))
    let labels: [Int32] = (0..<60).map { Int32($0 % 3) }
    let (train, validation) = RunExecutor.split(Self.labelled(labels), fraction: 0.2, seed: 0)
    let test = Self.labelled([0, 1, 2])
    _ = Trainer.train(
      model.network, optimizer: SGD(), train: train, test: test,
      options: TrainingOptions(epochs: 3, batch: 16, evalBatch: 100, learningRate: 0.01, key: RandomKey(seed: 2)),
      hooks: model.hooks, validation: validation)
    guard case .labels(let held)? = validation?.targets else { return }
    #expect(watcher.validationLabels == [held, held, held])
    #expect(watcher.probes == 3)
    // Plain evaluations (test and training-set metrics) happened, none flagged as probes.
    #expect(watcher.plainEvaluations > 0)
  }
}

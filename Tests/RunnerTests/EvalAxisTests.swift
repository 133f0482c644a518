import Datasets
import Experiments
import Foundation
import NN
import Regularizers
import Tensor
import Testing

@testable import Runner

/// `eval.*` sweep keys are evaluation-only: grid points differing only there share one training, and each record
/// is exactly what running its config alone would give.
@Suite struct EvalAxisTests {
  static let yaml = """
    id: eval-axis
    title: pruning axis
    method: dropout
    paper: {cite: c, where: w, result: r}
    claim:
      text: t
      check: {kind: better_than, metric: test_accuracy, a: {eval.prune: 0.0}, b: {eval.prune: 0.75}}
    setting: {paper: p, ours: o}
    base:
      dataset: {name: fashion-mnist, train_size: 128, test_size: 64}
      model: {name: mlp, widths: [16]}
      regularizer: {name: dropout, rate: 0.2, at: [hidden1]}
      train: {epochs: 2, batch: 32, lr: 0.1}
    sweep:
      eval.prune: [0.0, 0.75]
    seeds: [0, 1]
    scales: {default: {}}
    """

  @Test func pointsDifferingOnlyInEvalShareTheirTrainingKey() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.yaml, fileName: "eval-axis.yaml")
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    let keyed = try ExperimentRunner.keyedRuns(plan, kernels: try BLAS.info().selection)
    #expect(keyed.count == 4)
    #expect(Set(keyed.map(\.key)).count == 4)
    #expect(Set(keyed.map(\.trainingKey)).count == 2)  // one training per seed
    // The standard evaluation keeps the tree of a config without `eval` (so old cache keys stay valid).
    #expect(keyed[0].run.configTree[path: "eval"] == nil)
    #expect(keyed[2].run.configTree[path: "eval.prune"] == .double(0.75))
  }

  @Test func siblingsAreBitIdenticalToRunningAlone() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.yaml, fileName: "eval-axis.yaml")
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    _ = try configureForTests()
    let keyed = try ExperimentRunner.keyedRuns(plan, kernels: try BLAS.info().selection).filter { $0.run.seed == 0 }
    let (standard, pruned) = (keyed[0], keyed[1])
    let executor = RunExecutor()
    let together = try executor.execute(
      standard.run.config, key: standard.key, point: standard.run.point.coordinates,
      configTree: standard.run.configTree,
      siblings: [
        RunExecutor.Sibling(
          key: pruned.key, config: pruned.run.config, configTree: pruned.run.configTree,
          point: pruned.run.point.coordinates)
      ])
    let alone = try RunExecutor().execute(
      pruned.run.config, key: pruned.key, point: pruned.run.point.coordinates, configTree: pruned.run.configTree)
    func same(_ a: RunRecord, _ b: RunRecord) -> Bool {
      var a = a
      a.wallSeconds = b.wallSeconds
      return a == b
    }
    #expect(together.count == 2)
    #expect(same(together[1], alone))
    #expect(together[0].epochs == together[1].epochs)  // one training
    #expect(together[0].final["test_accuracy"] != together[1].final["test_accuracy"])  // pruned 75% of weights
    #expect(together[0].final == together[0].epochs.last?.metrics)  // standard evaluation: the last epoch's
  }

  func configureForTests() throws -> KernelInfo { try BLAS.info() }
}

@Suite struct PruningTests {
  @Test func weightPruningZeroesTheSmallestInEveryUnit() {
    let w = Tensor(shape: [2, 4], storage: [0.5, -0.1, 0.3, -0.9, 0.2, 0.2, -0.05, 1])
    let p = Pruning.pruned(w, fraction: 0.5, by: .weight)
    #expect(p.storage == [0.5, 0, 0, -0.9, 0, 0.2, 0, 1])  // ties: the lower index goes first
    #expect(Pruning.pruned(w, fraction: 0.2, by: .weight) == w)  // ⌊0.2 · 4⌋ = 0
  }

  @Test func unitPruningZeroesTheWeakestUnits() {
    let w = Tensor(shape: [3, 2], storage: [1, 1, 0.1, 0.2, -2, 0])
    #expect(Pruning.pruned(w, fraction: 0.34, by: .unit).storage == [1, 1, 0, 0, -2, 0])
    #expect(Pruning.pruned(w, fraction: 0.67, by: .unit).storage == [0, 0, 0, 0, -2, 0])
  }
}

@Suite struct EvalWidthTests {
  @Test func keepingFirstUnitsZeroesTheRest() {
    let w = Tensor(shape: [3, 2], storage: [1, 2, 3, 4, 5, 6])
    #expect(Pruning.keepingFirstUnits(w, 1).storage == [1, 2, 0, 0, 0, 0])
    #expect(Pruning.keepingFirstUnits(w, 3) == w)
  }

  /// `eval.width` cuts a plain net too (its hidden units from ⌊w·F⌉ on output zero), and restores it afterwards.
  @Test func widthCutsAPlainNetAndRestoresIt() throws {
    let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 64, testSize: 64))
    let model = try ModelRegistry.build(
      ModelRequest(name: "mlp", inputShape: [28, 28, 1], classes: 10, widths: [16, 8], key: RandomKey(seed: 4)))
    let test = RunExecutor.trainingData(data.test, data.task)
    let before = model.weightLayers.mapValues { $0.weight.value }
    let full = RunExecutor.evaluate(model, EvalConfig(), test: test, train: test, batch: 64, probeKey: Self.probe)
    let quarter = RunExecutor.evaluate(
      model, EvalConfig(width: 0.25), test: test, train: test, batch: 64, probeKey: Self.probe)
    #expect(full["test_loss"] != quarter["test_loss"])
    #expect(model.weightLayers.mapValues { $0.weight.value } == before)
    // Cut by hand: hidden1 keeps 4 of 16 units, hidden2 2 of 8.
    for (name, kept) in [("hidden1", 4), ("hidden2", 2)] {
      let layer = model.weightLayers[name]!
      layer.weight.value = Pruning.keepingFirstUnits(layer.weight.value, kept)
      layer.bias.value.withUnsafeMutableBufferPointer { b in for u in kept..<b.count { b[u] = 0 } }
    }
    #expect(Trainer.evaluate(model.network, test, batch: 64)["test_loss"] == quarter["test_loss"])
  }

  static let probe = RandomKey(seed: 4).fold(.evaluationProbe)

  /// The masking probe silences round(f · units) keyed random units per hidden layer (different ones per layer and
  /// seed, the same for the same key), leaves the logit layer alone and restores the net.
  @Test func maskingProbeSilencesAKeyedRandomFractionOfUnits() throws {
    let a = RunExecutor.maskedUnits(units: 16, fraction: 0.25, layer: "hidden1", key: Self.probe)
    #expect(a.count == 4 && Set(a).count == 4 && a.allSatisfy { (0..<16).contains($0) })
    #expect(a == RunExecutor.maskedUnits(units: 16, fraction: 0.25, layer: "hidden1", key: Self.probe))
    #expect(a != RunExecutor.maskedUnits(units: 16, fraction: 0.25, layer: "hidden2", key: Self.probe))
    #expect(a != RunExecutor.maskedUnits(units: 16, fraction: 0.25, layer: "hidden1", key: RandomKey(seed: 5)))
    #expect(a != [0, 1, 2, 3], "a random choice, not the first units")
    #expect(RunExecutor.maskedUnits(units: 8, fraction: 0.99, layer: "x", key: Self.probe).count == 7)
    #expect(RunExecutor.maskedUnits(units: 8, fraction: 0.01, layer: "x", key: Self.probe).isEmpty)

    let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 64, testSize: 64))
    let model = try ModelRegistry.build(
      ModelRequest(name: "mlp", inputShape: [28, 28, 1], classes: 10, widths: [16, 8], key: RandomKey(seed: 4)))
    let test = RunExecutor.trainingData(data.test, data.task)
    let before = model.weightLayers.mapValues { $0.weight.value }
    let probed = RunExecutor.evaluate(
      model, EvalConfig(maskUnits: 0.5), test: test, train: test, batch: 64, probeKey: Self.probe)
    #expect(model.weightLayers.mapValues { $0.weight.value } == before)
    for (name, units) in [("hidden1", 16), ("hidden2", 8)] {
      let layer = model.weightLayers[name]!
      let fanIn = layer.weight.value.count / units
      for u in RunExecutor.maskedUnits(units: units, fraction: 0.5, layer: name, key: Self.probe) {
        for j in 0..<fanIn { layer.weight.value.storage[u * fanIn + j] = 0 }
        layer.bias.value.storage[u] = 0
      }
    }
    #expect(Trainer.evaluate(model.network, test, batch: 64)["test_loss"] == probed["test_loss"])
  }
}

@Suite struct ClassSubsetTests {
  /// `eval.classes`: the trained net evaluated on the images of those classes only (test and training set), still
  /// choosing among all classes — exactly the metrics of evaluating it on that subset by hand; the network is
  /// untouched; the standard evaluation keeps its tree.
  @Test func evaluatesOnTheChosenClassesOnly() throws {
    _ = try BLAS.info()
    let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 200, testSize: 300))
    let model = try ModelRegistry.build(
      ModelRequest(name: "mlp", inputShape: [28, 28, 1], classes: 10, widths: [16], key: RandomKey(seed: 4)))
    let test = RunExecutor.trainingData(data.test, data.task)
    let train = RunExecutor.trainingData(data.train, data.task)
    let subset = RunExecutor.evaluate(
      model, EvalConfig(classes: [0, 2, 4, 6]), test: test, train: train, batch: 64, probeKey: RandomKey(seed: 1))
    guard case .labels(let labels) = test.targets else { return }
    let rows = labels.indices.filter { [0, 2, 4, 6].contains(labels[$0]) }
    #expect(!rows.isEmpty && rows.count < labels.count)
    let byHand = Trainer.evaluate(
      model.network, TrainingData(images: test.images.gather(rows: rows), targets: .labels(rows.map { labels[$0] })),
      batch: 64)
    #expect(subset["test_accuracy"] == byHand["test_accuracy"] && subset["test_loss"] == byHand["test_loss"])
    #expect(subset["train_accuracy"] != nil)
    let all = RunExecutor.evaluate(model, EvalConfig(), test: test, train: train, batch: 64, probeKey: RandomKey(seed: 1))
    #expect(all["test_accuracy"] == Trainer.evaluate(model.network, test, batch: 64)["test_accuracy"])
    #expect(EvalConfig().isStandard && !EvalConfig(classes: [1]).isStandard)
  }

  @Test func classesAreCheckedAgainstTheDataset() throws {
    func error(_ classes: String, dataset: String = "fashion-mnist", model: String = "{name: mlp, widths: [16]}")
      -> SpecError?
    {
      let yaml = """
        dataset: {name: \(dataset), train_size: 128, test_size: 64}
        model: \(model)
        regularizer: none
        train: {epochs: 1, batch: 32, lr: 0.1}
        eval: {classes: \(classes)}
        """
      do {
        _ = try RunConfig.resolve(tree: try ConfigValue.parseYAML(yaml), catalog: CatalogBuilder.catalog)
        return nil
      } catch { return error }
    }
    #expect(error("[0, 2, 4, 6]") == nil)
    #expect(error("[3, 10]")?.keyPath.hasSuffix("eval.classes") == true)
    #expect(error("[2, 2]")?.message.contains("twice") == true)
    #expect(error("[-1]")?.message.contains("class index") == true)
    #expect(error("[0]", dataset: "synthetic-ct-seg", model: "{name: unet-tiny}")?.message.contains("segmentation") == true)
    let tree = try RunConfig.resolve(
      tree: try ConfigValue.parseYAML(
        "dataset: {name: fashion-mnist}\nmodel: {name: mlp}\nregularizer: none\ntrain: {epochs: 1, batch: 32, lr: 0.1}\neval: {classes: [6, 0]}"),
      catalog: CatalogBuilder.catalog
    ).tree
    #expect(tree[path: "eval.classes"] == .list([.int(0), .int(6)]))
  }
}

@Suite struct EngineVersionScopeTests {
  /// The core version covers the engine but neither a method's file nor the registry's list, so adding a method
  /// (its file and one registry line) changes no other run's key; each method is versioned by its own file.
  @Test func coreLeavesMethodsAndTheRegistryOut() {
    let sources = EngineVersion.sourcesDirectory
    let core = EngineVersion.coreFiles().map { EngineVersion.relative($0, to: sources) }
    #expect(core.contains("Regularizers/Core/MaskLayer.swift") && core.contains("NN/Models/ResNetDefinition.swift"))
    #expect(core.contains("Runner/Execution.swift") && core.contains("Tensor/RNG.swift"))
    #expect(!core.contains { $0.hasPrefix("Regularizers/Methods/") || $0 == "Regularizers/Registry.swift" })
    let methods = RegularizerRegistry.all.map { EngineVersion.regularizer($0.name) }
    #expect(methods.allSatisfy { $0.count == 16 })
    // One version per method file (CorrDrop's two variants share theirs).
    #expect(Set(methods).count == Set(RegularizerRegistry.all.map(\.sourceFile)).count)
    #expect(EngineVersion.regularizer("no-such-method") == "unknown")
  }
}

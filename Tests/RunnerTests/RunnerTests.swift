import Datasets
import Experiments
import Foundation
import NN
import Regularizers
import Tensor
import Testing

@testable import Runner

@Suite struct CacheTests {
  let tree: ConfigValue = ["train": ["epochs": 3, "lr": 0.05], "seed": 1]

  @Test func keyIsStableAndSensitiveToEveryInput() {
    let base = RunCache.key(configTree: tree, datasetChecksums: ["a": "1"], kernels: "SkylakeX/avx512_core")
    #expect(base == RunCache.key(configTree: tree, datasetChecksums: ["a": "1"], kernels: "SkylakeX/avx512_core"))
    var other = tree
    other[path: "train.epochs"] = 4
    #expect(base != RunCache.key(configTree: other, datasetChecksums: ["a": "1"], kernels: "SkylakeX/avx512_core"))
    #expect(base != RunCache.key(configTree: tree, datasetChecksums: ["a": "2"], kernels: "SkylakeX/avx512_core"))
    #expect(base != RunCache.key(configTree: tree, datasetChecksums: ["a": "1"], kernels: "Haswell/avx2"))
  }

  @Test func engineVersionIsHashedFromTheSourceTree() {
    #expect(EngineVersion.current != "unknown-source")
    #expect(EngineVersion.current.count == 16)
  }

  @Test func storeIsAtomicAndDamagedFilesReadAsMissing() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-cache-\(UUID().uuidString)")
    let cache = RunCache(directory: dir)
    let record = RunRecord(
      key: "k1", point: ["regularizer.rate": 0.5], seed: 0, config: tree, status: .ok, epochs: [],
      final: ["test_accuracy": 90], wallSeconds: 1)
    try cache.store(record)
    #expect(cache.load("k1") == record)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty)
    try Data("{\"key\": \"k2\", truncated".utf8).write(to: cache.url(for: "k2"))
    #expect(cache.load("k2") == nil)
    #expect(cache.load("absent") == nil)
  }
}

@Suite struct CatalogBuilderTests {
  @Test func parametersGetDefaultsAndTypesFromTheRegistry() throws {
    let d = RegularizerRegistry.descriptor("dropblock")!
    let values = try d.resolve(["rate": .int(0), "block_size": .double(3)]).get()
    #expect(values["rate"]?.typeName == "a number" && values["rate"] == .double(0))
    #expect(values["block_size"]?.typeName == "an integer" && values["block_size"] == .int(3))
    #expect(values["schedule"] == .string("fixed"))
    #expect(throws: RegularizerDescriptor.ValidationMessage.self) { try d.resolve(["rate": .double(1.0)]).get() }
    #expect(throws: RegularizerDescriptor.ValidationMessage.self) { try d.resolve(["rates": .double(0.1)]).get() }
  }

  /// The catalog is the registries themselves: every model and method by its own name, each entry the engine's.
  @Test func catalogKnowsEveryRegistryEntry() {
    let catalog = CatalogBuilder.catalog
    #expect(Set(catalog.datasets.keys) == Set(DatasetRegistry.names))
    #expect(Set(catalog.models.keys) == Set(ModelRegistry.names))
    #expect(catalog.models.count == ModelRegistry.all.count)
    #expect(catalog.models["hme"]!.tasks == [.classification, .regression])
    #expect(Set(catalog.regularizers.keys) == Set(RegularizerRegistry.all.map(\.name)))
    #expect(catalog.regularizers.count == RegularizerRegistry.all.count)
    let stage3 = catalog.models["resnet"]!.sites(inputShape: [28, 28, 1], parameters: [:]).first { $0.name == "stage3" }
    #expect(stage3?.shape == [7, 7, 64])
  }
}

@Suite struct MaskGalleryTests {
  /// Fixed keys: two calls draw the same pictures; the analogy is 5 rows of 4 images, 28×28 each.
  @Test func picturesAreDeterministic() throws {
    let a = try MaskGallery.pictures()
    #expect(a == (try MaskGallery.pictures()))
    #expect(a.map(\.name) == ["masks-analogy", "masks-heuristic-dropout"])
    #expect(a[0].panels.count == 20)
    #expect(a[0].panels.allSatisfy { $0.size == 28 && $0.pixels.count == 28 * 28 })
    // Dropout zeroes some pixels the input had.
    let input = a[0].panels[0].pixels
    let dropped = a[0].panels[4].pixels
    #expect(zip(input, dropped).contains { $0 != 0 && $1 == 0 })
  }
}

@Suite struct SharedCacheTests {
  /// Two experiments with one identical arm share its cache files; each must report the runs at its own
  /// grid coordinates, whichever experiment trained them.
  @Test func cachedRunsTakeThisPlansCoordinates() throws {
    let spec = try ExperimentSpec.parse(
      yaml: """
        id: shared
        title: shared arm
        method: dropout
        paper: {cite: c, where: w, result: r}
        claim:
          text: t
          check: {kind: better_than, metric: test_accuracy, a: {regularizer: dropout}, b: {regularizer: none}}
        setting: {paper: p, ours: o}
        base:
          dataset: {name: fashion-mnist, train_size: 64, test_size: 64}
          model: {name: mlp, widths: [8]}
          regularizer: {name: none}
          train: {epochs: 1, batch: 32, lr: 0.1}
        sweep:
          regularizer: [{name: none}, {name: dropout, rate: 0.5, at: [hidden1]}]
        seeds: [0, 1]
        scales: {default: {}}
        """, fileName: "shared.yaml")
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    let kernels = try BLAS.info()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-shared-\(UUID().uuidString)")
    let cache = RunCache(directory: dir.appendingPathComponent("cache"))
    for (i, k) in try ExperimentRunner.keyedRuns(plan, kernels: kernels.selection).enumerated() {
      // Stored as if another spec's sweep had trained it, under foreign coordinates.
      try cache.store(
        RunRecord(
          key: k.key, point: ["regularizer.k": .int(2)], seed: k.run.seed, config: k.run.configTree, status: .ok,
          epochs: [], final: ["test_accuracy": 50 + Double(i)], wallSeconds: 1))
    }
    let outcome = try ExperimentRunner.run(
      plan, specHash: "h",
      options: RunOptions(jobs: 1, cache: cache, resultsDirectory: dir.appendingPathComponent("results")),
      kernels: kernels, progress: ProgressDisplay(interactive: false, quiet: true))
    #expect(outcome.trained == 0)
    let results = try #require(outcome.results)
    #expect(results.runs.map { $0.point } == plan.runs.map { $0.point.coordinates })
    #expect(results.verdict.summaries.allSatisfy { $0.n == 2 })
  }
}

@Suite struct VerificationTests {
  @Test func sampleSpreadsOverTheGridWithBothEnds() {
    #expect(Verification.sampleIndices(count: 10, sample: 2) == [0, 9])
    #expect(Verification.sampleIndices(count: 10, sample: 3) == [0, 5, 9])
    #expect(Verification.sampleIndices(count: 5, sample: 5) == [0, 1, 2, 3, 4])
    #expect(Verification.sampleIndices(count: 3, sample: 8) == [0, 1, 2])
    #expect(Verification.sampleIndices(count: 7, sample: 1) == [0])
    #expect(Verification.sampleIndices(count: 0, sample: 2).isEmpty)
    for count in 1...40 {
      for sample in 1...count {
        let s = Verification.sampleIndices(count: count, sample: sample)
        #expect(s.count == sample && Set(s).count == sample && s == s.sorted() && s.last! < count)
      }
    }
  }

  @Test func differenceNamesTheFirstChangedNumber() {
    let epochs = [
      EpochMetrics(epoch: 1, trainLoss: 0.5, metrics: ["test_accuracy": 80]),
      EpochMetrics(epoch: 2, trainLoss: 0.25, metrics: ["test_accuracy": 85, "test_loss": .nan]),
    ]
    let a = RunRecord(
      key: "k", point: [:], seed: 0, config: .null, status: .ok, epochs: epochs, final: ["test_accuracy": 85],
      wallSeconds: 10)
    var b = a
    b.wallSeconds = 99
    b.epochs[1].metrics["test_loss"] = -.nan  // another NaN: still the same result
    #expect(Verification.difference(stored: a, now: b) == nil)
    b.epochs[1].metrics["test_accuracy"] = 85.0.nextUp
    #expect(Verification.difference(stored: a, now: b)?.hasPrefix("epoch 2 test_accuracy: stored 85.0") == true)
    b = a
    b.epochs[0].trainLoss = 0.5.nextDown
    #expect(Verification.difference(stored: a, now: b)?.hasPrefix("epoch 1 train loss") == true)
    b = a
    // A metric recorded now but not when the run was stored (pixel precision, added later) is an addition: every
    // stored number still reproduces. A stored metric that is gone is a difference.
    b.final["test_error"] = 15
    #expect(Verification.difference(stored: a, now: b) == nil)
    b = a
    b.final["test_accuracy"] = nil
    #expect(Verification.difference(stored: a, now: b) == "final test_accuracy: stored, now missing")
    b = a
    b.status = .diverged
    #expect(Verification.difference(stored: a, now: b) == "status: stored ok, now diverged")
  }
}

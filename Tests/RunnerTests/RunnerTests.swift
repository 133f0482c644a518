import Data
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
  @Test func writesDeterministicFigureSources() throws {
    let a = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-masks-\(UUID().uuidString)")
    let b = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-masks-\(UUID().uuidString)")
    let scriptsA = try MaskGallery.write(to: a, render: false)
    _ = try MaskGallery.write(to: b, render: false)
    #expect(scriptsA.map(\.lastPathComponent) == ["masks-analogy.gp", "masks-heuristic-dropout.gp"])
    for name in ["masks-analogy.dat", "masks-analogy.gp", "masks-heuristic-dropout.dat"] {
      let x = try Data(contentsOf: a.appendingPathComponent(name))
      let y = try Data(contentsOf: b.appendingPathComponent(name))
      #expect(x == y, "\(name) differs between two writes")
    }
    // 5 rows of 4 images, each a 28-line matrix block.
    let dat = try String(contentsOf: a.appendingPathComponent("masks-analogy.dat"), encoding: .utf8)
    let blocks = dat.components(separatedBy: "\n\n\n").filter {
      !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
    #expect(blocks.count == 20)
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

@Suite struct LayerProfileTests {
  static func data() throws -> Dataset {
    try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 512, testSize: 100))
  }

  /// The per-layer profile times every top-level layer of W2 (cnn + dropout) and prints a row for each.
  @Test func profilesEveryLayerOfTheCNN() throws {
    let profile = try LayerProfile.run("W2", data: try Self.data(), steps: 3, warmup: 1)
    #expect(
      profile.rows.map(\.layer) == [
        "Conv2d", "MaxPool2d", "Conv2d", "MaxPool2d", "Flatten", "Linear", "ReLU", "Dropout", "Linear",
      ])
    #expect(profile.rows.allSatisfy { $0.depth == 0 })
    #expect(
      profile.rows.filter { $0.layer == "Conv2d" }.allSatisfy { $0.forwardMilliseconds > 0 && $0.backwardMilliseconds > 0 })
    #expect(profile.stepMilliseconds >= profile.rows.reduce(0) { $0 + $1.milliseconds } * 0.5)
    let table = LayerProfile.table(profile)
    #expect(table.split(separator: "\n").count == profile.rows.count + 3)
    #expect(table.contains("whole step"))
  }

  /// Inside each residual block the profile walks into the branch and the shortcut: conv, BN, conv, BN (and a
  /// 1×1 conv and BN where the block changes shape), each row's path naming where it sits.
  @Test func walksIntoResidualBlocks() throws {
    let profile = try LayerProfile.run("W3", data: try Self.data(), steps: 2, warmup: 1)
    let nested = profile.rows.filter { $0.depth == 1 }
    #expect(profile.topLevel.filter { $0.layer == "BasicBlock" }.count == 3)
    #expect(nested.filter { $0.path.contains(".branch.") }.map(\.layer) == Array(repeating: ["Conv2d", "BatchNorm", "Conv2d", "BatchNorm"], count: 3).flatMap { $0 })
    #expect(nested.filter { $0.path.contains(".shortcut.") }.map(\.layer) == ["Conv2d", "BatchNorm", "Conv2d", "BatchNorm"])
    let block = try #require(profile.rows.firstIndex { $0.layer == "BasicBlock" })
    #expect(profile.rows[block + 1].path == "\(profile.rows[block].path).branch.0")
  }

  /// The FLOPs the profile counts layer by layer add up to the workload's count by shapes (`forwardFLOPs`, the
  /// one behind "% of sgemm peak"), and a composite row's to its children's — a miscounted convolution
  /// position or a block whose shortcut is left out would fail it.
  @Test(arguments: ["W1", "W2", "W3", "W4"])
  func flopsAddUpToTheWorkloadsCount(workload: String) throws {
    let profile = try LayerProfile.run(workload, data: try Self.data(), steps: 1, warmup: 0)
    let total = profile.topLevel.reduce(0) { $0 + $1.forwardGFLOP } * 1e9
    let expected = Benchmark.forwardFLOPs(workload) * 128
    #expect(abs(total - expected) <= 1e-9 * expected)
    for (i, r) in profile.rows.enumerated() where r.depth == 0 {
      let children = profile.rows[(i + 1)...].prefix { $0.depth > 0 }
      guard !children.isEmpty else { continue }
      #expect(abs(children.reduce(0) { $0 + $1.forwardGFLOP } - r.forwardGFLOP) <= 1e-12)
      #expect(abs(children.reduce(0) { $0 + $1.trainingGFLOP } - r.trainingGFLOP) <= 1e-12)
    }
    // Training: 3× forward, except the first layer, which computes no input gradient (2×).
    let first = try #require(profile.rows.first { $0.forwardGFLOP > 0 })
    #expect(abs(first.trainingGFLOP - 2 * first.forwardGFLOP) <= 1e-12)
    let rest = profile.topLevel.filter { $0.path != first.path }
    #expect(abs(rest.reduce(0) { $0 + $1.trainingGFLOP } - 3 * rest.reduce(0) { $0 + $1.forwardGFLOP }) <= 1e-9)
  }

  @Test func medianIsTheMiddleStep() {
    #expect(LayerProfile.medianMilliseconds([3_000_000, 1_000_000, 2_000_000]) == 2)
    #expect(LayerProfile.medianMilliseconds([]) == 0)
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

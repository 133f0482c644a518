import Experiments
import Foundation
import Testing

@testable import Runner

@Suite struct ShardPlanTests {
  @Test func everyRunLandsOnExactlyOneShard() {
    let runs = (0..<23).map { (key: "k\($0)", seconds: Double(($0 * 37) % 11 + 1)) }
    for count in [1, 2, 3, 8, 30] {
      let shards = ShardPlan.assign(runs, shards: count)
      #expect(shards.count == count)
      #expect(shards.flatMap { $0 }.sorted() == runs.map(\.key).sorted())
    }
  }

  @Test func longestFirstBalancesWhatModuloDoesNot() {
    // Index % 2 would give shard 0 both 100 s runs; LPT splits them.
    let runs = [("a", 100.0), ("b", 1), ("c", 100), ("d", 1)].map { (key: $0.0, seconds: $0.1) }
    #expect(ShardPlan.assign(runs, shards: 2) == [["a", "b"], ["c", "d"]])
    #expect(ShardPlan.loads(runs, shards: 2) == [101, 101])
  }

  @Test func longestShardIsWithinTheLPTBound() {
    // Graham's bound: LPT's longest shard is at most (4/3 - 1/(3n)) of the optimum, and the optimum is at least
    // both the mean load and the longest run.
    var state: UInt64 = 42
    let runs = (0..<200).map { i -> (key: String, seconds: Double) in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return ("run\(i)", Double((state >> 40) % 1000) / 1000 + 0.01)
    }
    for n in [2, 5, 16] {
      let loads = ShardPlan.loads(runs, shards: n)
      let lower = max(runs.map(\.seconds).reduce(0, +) / Double(n), runs.map(\.seconds).max()!)
      #expect(loads.max()! <= lower * (4.0 / 3.0 - 1.0 / (3.0 * Double(n))) + 1e-9)
    }
  }

  @Test func assignmentDependsOnPositionsAndCostsNotOnKeyValues() {
    // Keys hash the node's kernel selection; two tasks must agree on the split even if their keys differed.
    let runs = (0..<12).map { (key: "k\($0)", seconds: Double($0 % 4)) }
    let renamed = runs.map { (key: "other-\($0.key)", seconds: $0.seconds) }
    let a = ShardPlan.assign(runs, shards: 3)
    let b = ShardPlan.assign(renamed, shards: 3)
    #expect(a.map { $0.map { "other-\($0)" } } == b)
    #expect(ShardPlan.assign(runs, shards: 3) == a)
    #expect(ShardPlan.keys(of: 1, count: 3, runs: runs) == Set(a[1]))
  }

  @Test func duplicateKeysAreOneRunAndBadEstimatesCostNothing() {
    let runs = [("x", 5.0), ("y", .nan), ("x", 5), ("z", -3)].map { (key: $0.0, seconds: $0.1) }
    let shards = ShardPlan.assign(runs, shards: 2)
    #expect(shards.flatMap { $0 }.sorted() == ["x", "y", "z"])
    #expect(shards[0] == ["x"])
  }

  @Test func moreShardsThanRunsLeavesSomeEmpty() {
    let shards = ShardPlan.assign([(key: "only", seconds: 1)], shards: 4)
    #expect(shards == [["only"], [], [], []])
  }

  /// The wiring proposed for `ExperimentRunner.run` (keys of this task's shard from the whole plan), on every
  /// committed spec at full scale over 8 tasks: never a longer longest task than `index % n`.
  @Test(arguments: ["default", "full"]) func balancedShardsOfTheRealSpecsBeatModulo(scale: String) throws {
    let specs = try FileManager.default.contentsOfDirectory(atPath: "Experiments").filter { $0.hasSuffix(".yaml") }
    #expect(!specs.isEmpty)
    for file in specs.sorted() {
      let plan = try ExperimentSpec.load(path: "Experiments/\(file)").plan(
        scale: scale, catalog: CatalogBuilder.catalog)
      // Real keys need the dataset files; distinct stand-ins exercise the same expression.
      let keyed = plan.runs.enumerated().map { KeyedRun(run: $1, key: "run\($0)", trainingKey: "run\($0)", datasetChecksums: [:]) }
      let n = 8
      let costs = keyed.map { (key: $0.key, seconds: RunCost.seconds($0.run.config, catalog: CatalogBuilder.catalog)) }
      let balanced = (0..<n).map { i in
        ShardPlan.keys(of: i, count: n, runs: costs).reduce(0.0) { total, key in
          total + costs.first { $0.key == key }!.seconds
        }
      }
      let modulo = (0..<n).map { i in
        costs.enumerated().filter { $0.offset % n == i }.reduce(0.0) { $0 + $1.element.seconds }
      }
      #expect(balanced.max()! <= modulo.max()! + 1e-9, "\(file)")
      let total: Double = modulo.reduce(0, +)
      let balancedTotal: Double = balanced.reduce(0, +)
      #expect(abs(balancedTotal - total) <= 1e-6 * total)
    }
  }

  @Test func costFollowsImagesAndModel() throws {
    let catalog = CatalogBuilder.catalog
    var config = try RunConfig(
      tree: [
        "dataset": ["name": "fashion-mnist", "train_size": 1000], "model": ["name": "mlp", "widths": [64]],
        "regularizer": ["name": "none"], "train": ["epochs": 2, "batch": 100, "lr": 0.1], "seed": 0,
      ])
    #expect(RunCost.images(config, catalog: catalog) == 2000)
    // Two evaluations (every epoch) of the 10,000 test images and the 1,000 training images, at a third the cost.
    #expect(RunCost.evaluatedImages(config, catalog: catalog) == 22_000)
    let work = 2000 + 22_000.0 / 3
    // The mlp rate is scaled by multiply-adds: 784-64-10 does 784·64 + 64·10 of the default 784-1024-1024-10's.
    let defaultMACs: Double = 784 * 1024 + 1024 * 1024 + 1024 * 10
    let smallMACs: Double = 784 * 64 + 64 * 10
    let scale = defaultMACs / smallMACs
    #expect(abs(RunCost.seconds(config, catalog: catalog) - work / (12_000 * scale)) < 1e-9)
    var resnet = config
    resnet.model = ModelConfig(name: "resnet", params: ["blocks": 3])
    #expect(abs(RunCost.seconds(resnet, catalog: catalog) - work / (2_200.0 / 3)) < 1e-9)
    // A validation split trains on the rest; a step budget evaluates once.
    var held = config
    held.dataset.validationFraction = 0.2
    #expect(RunCost.images(held, catalog: catalog) == 1600)
    config.train.steps = 7
    #expect(RunCost.evaluatedImages(config, catalog: catalog) == 11_000)
    #expect(RunCost.images(config, catalog: catalog) == 700)
  }

  /// The estimates land near the committed default-scale runs' measured seconds (project machine, 2026-12-03):
  /// within a factor of two, where the old flat fallback rate was off 10–300× for the mixture-of-experts models.
  @Test func estimatesMatchMeasuredRunsOfEveryModelFamily() throws {
    let catalog = CatalogBuilder.catalog
    func config(_ tree: ConfigValue) throws -> RunConfig { try RunConfig(tree: tree) }
    let cases: [(ConfigValue, Double)] = [
      // hme-depth-overfits: 1,000 MNIST images, 100 epochs — depth 1 took 0.7 s, depth 6 took 11.6 s.
      ([
        "dataset": ["name": "mnist-5k", "train_size": 1000], "model": ["name": "hme", "blocks": 1],
        "regularizer": ["name": "none"], "train": ["epochs": 100, "batch": 64, "lr": 0.01, "eval_every": 10], "seed": 0,
      ], 0.7),
      ([
        "dataset": ["name": "mnist-5k", "train_size": 1000], "model": ["name": "hme", "blocks": 6],
        "regularizer": ["name": "none"], "train": ["epochs": 100, "batch": 64, "lr": 0.01, "eval_every": 10], "seed": 0,
      ], 11.6),
      // hme-regression-depth: 200 points, 300 epochs — 0.04 s at depth 1, 0.09 s at depth 6.
      ([
        "dataset": ["name": "synthetic-regression"], "model": ["name": "hme", "blocks": 6],
        "regularizer": ["name": "none"], "train": ["epochs": 300, "batch": 32, "lr": 0.01, "eval_every": 30], "seed": 0,
      ], 0.09),
      // gating-dropout-moe: 10,000 images, 30 epochs, 2 layers — 31 s.
      ([
        "dataset": ["name": "fashion-mnist", "train_size": 10000], "model": ["name": "moe", "blocks": 2],
        "regularizer": ["name": "none"], "train": ["epochs": 30, "batch": 128, "lr": 0.001, "eval_every": 3], "seed": 0,
      ], 31),
      // mlp-regularizers-compare: 784-512-512-10, 10,000 images, 100 epochs — 25–32 s.
      ([
        "dataset": ["name": "fashion-mnist", "train_size": 10000], "model": ["name": "mlp", "widths": [512, 512]],
        "regularizer": ["name": "none"], "train": ["epochs": 100, "batch": 128, "lr": 0.05, "eval_every": 10], "seed": 0,
      ], 28),
      // The ResNet-8 base: 5,000 images, 30 epochs, evaluated every 3 — 82–93 s on the least loaded specs.
      ([
        "dataset": ["name": "fashion-mnist", "train_size": 5000], "model": ["name": "resnet", "blocks": 1],
        "regularizer": ["name": "none"], "train": ["epochs": 30, "batch": 128, "lr": 0.05, "eval_every": 3], "seed": 0,
      ], 88),
    ]
    for (tree, measured) in cases {
      let estimate = RunCost.seconds(try config(tree), catalog: catalog)
      #expect(estimate > measured / 2 && estimate < measured * 2, "\(tree): estimated \(estimate) s, measured \(measured) s")
    }
  }
}

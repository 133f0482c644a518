import Experiments
import Foundation
import Subprocesses

@testable import Report

/// Synthetic results built in code: no training, fully deterministic.
enum Fixtures {
  /// Per-seed test accuracy of the numeric fixture: dataset → rate → three seeds (nil = diverged).
  static let accuracy: [String: [Double: [Double?]]] = [
    "set-a": [0.0: [90.0, 90.2, 89.8], 0.5: [91.0, 91.3, 90.7], 0.9: [85.0, 85.5, nil]],
    "set-b": [0.0: [95.0, 95.1, 94.9], 0.5: [96.0, 96.2, 95.8], 0.9: [nil, nil, nil]],
  ]
  static let divergedSteps = [0: 40, 1: 50, 2: 60]

  static let provenance = Provenance(
    gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: true, specHash: "feedfacecafebeef0011",
    engineVersion: "engine-7", datasetChecksums: ["set-a": "aa"], swiftVersion: "Swift 6.3.1",
    blasCoreType: "Haswell", blasConfig: "OpenBLAS 0.3.26", dnnlISA: "avx2", dnnlVersion: "3.4.1",
    cpuModel: "Test CPU @ 3.0GHz")

  /// A retention-p style sweep: two datasets (series) × three drop rates × three seeds; one partially diverged
  /// point (set-a, 0.9: seed 2 at step 120) and one fully diverged point (set-b, 0.9).
  static func numeric(adjust: (String, Double, Int, Double) -> Double? = { _, _, _, v in v }) -> ExperimentResults {
    // A paired t-test along x (not best_in, whose within-seed permutation test cannot reach 2.5% with the two or
    // three seeds each set has finished everywhere), so the fixture holds and a shifted no-dropout point flips it.
    let check = ClaimCheck(
      .monotone(x: "regularizer.rate", metric: "test_accuracy", direction: .increasing, until: .double(0.5)),
      by: ["dataset"])
    let sweep = Sweep(axes: [
      .values(key: "dataset", values: [.map(["name": .string("set-a")]), .map(["name": .string("set-b")])]),
      .values(key: "regularizer.rate", values: [.double(0.9), .double(0.5), .double(0.0)]),
    ])
    let spec = ExperimentSpec(
      id: "toy-p-sweep", title: "Toy retention p has an interior optimum", method: "dropout",
      paper: .init(cite: "Someone et al. 2014, A paper", where: "Fig. 9a", result: "best for p in [0.4, 0.8]"),
      claim: .init(text: "Test accuracy peaks for drop rate 0.2–0.6 on both sets.", check: check),
      setting: .init(paper: "big MLP on full MNIST", ours: "tiny MLP on toy sets"),
      base: .map(["dataset": .map(["name": .string("set-a")]), "model": .map(["name": .string("mlp")])]),
      sweep: sweep, seeds: [0, 1, 2],
      report: ReportOptions(paperX: .double(0.5), xTransform: .oneMinus, xTransformLabel: "retention p"))
    var runs: [RunRecord] = []
    for point in sweep.points() {
      let set = point.coordinates["dataset"]!.asMap!["name"]!.asString!
      let rate = point.coordinates["regularizer.rate"]!.asDouble!
      for seed in 0..<3 {
        let raw = accuracy[set]![rate]![seed]
        let value = raw.flatMap { adjust(set, rate, seed, $0) }
        runs.append(run(point, seed: seed, accuracy: value, divergedAt: set == "set-a" ? 120 : divergedSteps[seed]!))
      }
    }
    return results(spec, runs: runs)
  }

  /// A categorical comparison of arms (none / dropout / dropblock) on Dice, three seeds each.
  static func arms() -> ExperimentResults {
    let arms: [ConfigValue] = [
      .map(["name": .string("none")]), .map(["name": .string("dropout"), "rate": .double(0.1)]),
      .map(["name": .string("dropblock"), "rate": .double(0.1), "block_size": .int(3)]),
    ]
    let dice: [[Double]] = [[70.0, 71.0, 69.0], [72.0, 73.5, 71.0], [74.0, 74.5, 73.0]]
    let sweep = Sweep(axes: [.values(key: "regularizer", values: arms)])
    let check = ClaimCheck(
      .betterThan(
        metric: "dice", a: ["regularizer": .string("dropblock")], b: ["regularizer": .string("none")], margin: 0))
    let spec = ExperimentSpec(
      id: "toy-arms", title: "DropBlock beats no regularization", method: "dropblock",
      paper: .init(cite: "Other et al. 2018"), claim: .init(text: "DropBlock has higher Dice than none.", check: check),
      setting: .init(paper: "U-Net on CT", ours: "tiny U-Net on synthetic CT"),
      base: .map(["model": .map(["name": .string("unet-tiny")])]), sweep: sweep, seeds: [0, 1, 2],
      report: ReportOptions(paperX: .string("dropblock")))
    var runs: [RunRecord] = []
    for (i, point) in sweep.points().enumerated() {
      for seed in 0..<3 {
        runs.append(
          RunRecord(
            key: "k\(i)-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .ok, epochs: [],
            final: ["dice": dice[i][seed], "iou": dice[i][seed] - 10], wallSeconds: 2))
      }
    }
    return results(spec, runs: runs)
  }

  static func run(_ point: GridPoint, seed: Int, accuracy: Double?, divergedAt: Int) -> RunRecord {
    guard let accuracy else {
      return RunRecord(
        key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .diverged,
        divergedAtStep: divergedAt, epochs: [], final: [:], wallSeconds: 1.5)
    }
    return RunRecord(
      key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .ok,
      epochs: [EpochMetrics(epoch: 1, trainLoss: 0.3, metrics: ["test_accuracy": accuracy])],
      final: ["test_accuracy": accuracy, "test_error": 100 - accuracy, "train_accuracy": accuracy + 5],
      wallSeconds: 3.25)
  }

  /// Per-seed test accuracy of the regime fixture: drop rate → three seeds. Dropout wins by about 1 pt on every
  /// seed, so the check alone holds.
  static let regimeAccuracy: [Double: [Double]] = [0.0: [85.0, 85.2, 84.8], 0.5: [86.0, 86.3, 85.9]]

  /// A classifier on fashion-mnist, no dropout vs rate 0.5, at a constant learning rate, whose claim states a
  /// regime: the no-dropout point must over-fit by 2 pt and fit its training set within 2 pt, and every point's
  /// training loss must have fallen by at most 0.01 over the last 30% of its 10 epochs (regime rule v2). Each run
  /// ends `gap` pt above its test accuracy in train accuracy, having risen `lateRise` pt over epochs 7–10 while its
  /// training loss fell `lateRise`/100 (so 1.5 is still falling, 0.2 has settled). The met regime takes a gap of
  /// 13.7 pt (the reference at 98.5–98.9% train accuracy). The paper's effect, curve and test-set size are optional.
  static func regime(
    gap: Double, lateRise: Double, testSize: Int? = nil, effect: String? = nil, points: [[Double]] = [],
    pointsLabel: String? = nil
  ) -> ExperimentResults {
    let sweep = Sweep(axes: [.values(key: "regularizer.rate", values: [.double(0.0), .double(0.5)])])
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.rate": .double(0.5)], b: ["regularizer.rate": .double(0.0)],
        margin: 0))
    let regime = Regime(reference: ["regularizer.rate": .double(0.0)], overfitGap: 2, plateau: 1)
    let spec = ExperimentSpec(
      id: "toy-regime", title: "Dropout helps an over-fitting MLP", method: "dropout",
      paper: .init(
        cite: "Someone et al. 2014", where: "Fig. 1", result: "dropout lowers error", effect: effect, points: points,
        pointsLabel: pointsLabel),
      claim: .init(text: "Dropout at rate 0.5 beats no dropout.", check: check, regime: regime),
      setting: .init(paper: "big MLP, long training", ours: "small MLP, 10 epochs"),
      base: .map(["model": .map(["name": .string("mlp")])]), sweep: sweep, seeds: [0, 1, 2])
    var dataset: [String: ConfigValue] = ["name": .string("fashion-mnist"), "subset_seed": .int(0)]
    if let testSize { dataset["test_size"] = .int(testSize) }
    var runs: [RunRecord] = []
    for (i, point) in sweep.points().enumerated() {
      let rate = point.coordinates["regularizer.rate"]!.asDouble!
      for seed in 0..<3 {
        let test = regimeAccuracy[rate]![seed]
        let train = test + gap
        let epochs = (1...10).map { e in
          let trainAt = train - lateRise * Double(10 - e) / 3
          let loss = 0.05 + lateRise / 100 * Double(10 - e) / 3
          return EpochMetrics(
            epoch: e, trainLoss: loss, metrics: ["test_accuracy": test, "train_accuracy": trainAt, "train_loss": 0.8 * loss])
        }
        runs.append(
          RunRecord(
            key: "r\(i)-\(seed)", point: point.coordinates, seed: seed,
            config: .map(["dataset": .map(dataset), "seed": .int(seed), "train": .map(["schedule": .string("constant")])]),
            status: .ok, epochs: epochs,
            final: ["test_accuracy": test, "test_error": 100 - test, "train_accuracy": train], wallSeconds: 4))
      }
    }
    return results(spec, runs: runs)
  }

  /// Results with the verdict evaluated by the real claim check and regime gate.
  static func results(_ spec: ExperimentSpec, runs: [RunRecord]) -> ExperimentResults {
    let verdict = evaluate(spec.claim, points: spec.points(), runs: runs)
    return ExperimentResults(
      experimentID: spec.id, scale: "default", spec: spec, runs: runs, verdict: verdict, provenance: provenance,
      totalWallSeconds: 3723)
  }

  /// The results as the Runner writes them (pretty, sorted keys).
  static func json(_ results: ExperimentResults) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(results)
  }

  /// A fresh temporary directory.
  static func temporaryDirectory(_ tag: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dropbench-report-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  static var gnuplotAvailable: Bool { Subprocess.onPath("gnuplot") }
}

import BenchFixtures
import Foundation
import Testing

@testable import Benchmarks

@Suite struct PeerComparisonTests {
  static func peer(_ train: Double, _ eval1000: Double, _ eval128: Double) -> PeerComparison.PeerRun {
    BenchFixtures.peer(train, eval1000, eval128)
  }

  /// The peer script's JSON: only its one-thread row of the asked workload counts.
  @Test func parsesThePeersOneThreadRow() throws {
    let json = """
      {"torch": "2.13.0+cpu", "results": [
        {"workload": "cnn", "threads": 2, "train_img_s": 9.0, "eval_img_s": 9.0, "eval_img_s_bs128": 9.0},
        {"workload": "cnn", "threads": 1, "train_img_s": 3000.5, "eval_img_s": 4000.0, "eval_img_s_bs128": 6000.0},
        {"workload": "mlp", "threads": 1, "train_img_s": 7.0, "eval_img_s": 7.0, "eval_img_s_bs128": 7.0}]}
      """
    let parsed = try #require(PeerComparison.parsePeer(Data(json.utf8), workload: "cnn"))
    #expect(parsed.torch == "2.13.0+cpu")
    #expect(parsed.run == Self.peer(3000.5, 4000, 6000))
    #expect(parsed.run.bestEvalImagesPerSecond == 6000)
    #expect(PeerComparison.parsePeer(Data(json.utf8), workload: "resnet8") == nil)
    #expect(PeerComparison.parsePeer(Data("not json".utf8), workload: "cnn") == nil)
  }

  @Test func medians() {
    #expect(PeerComparison.median([3, 1, 2]) == 2)
    #expect(PeerComparison.median([4, 1, 3, 2]) == 2.5)
    #expect(PeerComparison.median([]).isNaN)
  }

  /// Ratios are of medians over the rounds; each target is met or not by its own threshold.
  @Test func targets() {
    let sitting = BenchFixtures.fourWorkloads
    let targets = Dictionary(uniqueKeysWithValues: PeerComparison.targets(sitting).map { ($0.name, $0) })
    // W1: median 2200 / 1000 = 2.2 (met, at the threshold); W3: 2.0 (not met).
    #expect(targets["W1 training × PyTorch"]?.met == true)
    #expect(targets["W1 training × PyTorch"]?.measured == 2.2)
    #expect(targets["W3 training × PyTorch"]?.met == false)
    #expect(targets["W3 training, % of sgemm peak"]?.met == true)
    // Evaluation against the peer's faster batch: W1 9000 / median(5000, 7000) = 1.5 (met); W3 6000 / 6000 (not).
    #expect(targets["W1 evaluation × PyTorch's faster batch"]?.measured == 1.5)
    #expect(targets["W1 evaluation × PyTorch's faster batch"]?.met == true)
    #expect(targets["W3 evaluation × PyTorch's faster batch"]?.met == false)
    // DropConnect within 10% of W1 (1980 / 2200 = 0.9, met); stochastic depth faster than W3.
    #expect(targets["DropConnect (W4) training ÷ W1"]?.met == true)
    #expect(targets["stochastic depth (W5) training ÷ W3"]?.met == true)
    // No W2 or W3d rows: their targets are left out, not failed.
    #expect(targets.keys.allSatisfy { !$0.contains("W2") && !$0.contains("W3d") })
    // Only W3 misses a training target (W5's and W4's are met, W1's met at the threshold): W3 is profiled.
    #expect(PeerComparison.workloadsShortOfTrainingTargets(sitting) == ["W3"])
  }

  /// A profile's step splits into matrix products (leaf rows with FLOPs), other leaves, composite layers' own
  /// time and what is outside the layers; the ceiling is what matrix products at the peak would leave.
  @Test func stepSplitsIntoMatrixProductsAndTheRest() {
    let profile = BenchFixtures.w3Profile
    let split = PeerComparison.StepSplit(profile, peak: 100)
    #expect(abs(split.matrixMeasured - 10) < 1e-9)
    #expect(abs(split.matrixAtPeak - 9) < 1e-9)
    #expect(abs(split.otherLayers - 4) < 1e-9)
    #expect(abs(split.composite - 3) < 1e-9)
    #expect(abs(split.outside - 3) < 1e-9)  // 20 − (5 + 2 + 10)
    #expect(abs(split.otherTotal - 10) < 1e-9)
    #expect(abs(split.ceilingPercent - 100 * 9 / 19) < 1e-9)  // 47.4%
  }
}

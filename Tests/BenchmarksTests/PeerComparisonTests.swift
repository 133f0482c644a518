import Foundation
@testable import Tensor
import Testing

@testable import Benchmarks

@Suite struct PeerComparisonTests {
  static func ours(_ w: String, train: Double, eval: Double, peak: Double = 60) -> Benchmark.WorkloadResult {
    Benchmark.WorkloadResult(
      workload: w, description: w, forwardMFLOPPerImage: 1, trainImagesPerSecond: train, evalImagesPerSecond: eval,
      trainGFLOPS: 1, percentOfPeak: peak, testAccuracyAfterOneEpoch: 80, peakResidentMiB: 100)
  }

  static func peer(_ train: Double, _ eval1000: Double, _ eval128: Double) -> PeerComparison.PeerRun {
    PeerComparison.PeerRun(trainImagesPerSecond: train, evalImagesPerSecond: eval1000, evalImagesPerSecondBatch128: eval128)
  }

  static var kernels: KernelInfo {
    KernelInfo(
      selection: KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"), blasCoreLoaded: "Haswell", blasConfig: "",
      dnnlVersion: "2.6.3", cpuModel: "test CPU")
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
    let rows = [
      PeerComparison.Row(
        workload: "W1", description: "mlp", ours: [Self.ours("W1", train: 2300, eval: 9000), Self.ours("W1", train: 2100, eval: 9000)],
        peer: [Self.peer(1000, 3000, 5000), Self.peer(1000, 3000, 7000)]),
      PeerComparison.Row(
        workload: "W3", description: "resnet", ours: [Self.ours("W3", train: 2000, eval: 6000, peak: 80)],
        peer: [Self.peer(1000, 2000, 6000)]),
      PeerComparison.Row(workload: "W4", description: "dropconnect", ours: [Self.ours("W4", train: 1980, eval: 1)], peer: []),
      PeerComparison.Row(workload: "W5", description: "sd", ours: [Self.ours("W5", train: 2500, eval: 1)], peer: []),
    ]
    let sitting = PeerComparison.Sitting(
      date: "2026-12-03", machine: "test machine", kernels: Self.kernels, gemm: [Benchmark.GemmResult(n: 1024, gflops: 100)],
      torch: "2.13", rounds: 2, maxSteps: nil, rows: rows)
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
    func row(_ path: String, _ depth: Int, _ layer: String, _ fwd: Double, _ bwd: Double, _ gflop: Double)
      -> LayerProfile.Row
    {
      LayerProfile.Row(
        path: path, depth: depth, layer: layer, forwardMilliseconds: fwd, backwardMilliseconds: bwd,
        forwardGFLOP: gflop, trainingGFLOP: 3 * gflop)
    }
    // Peak 100 GFLOP/s: 0.1 GFLOP forward is 3 ms of training at the peak.
    let profile = LayerProfile.Profile(
      workload: "W3", stepMilliseconds: 20,
      rows: [
        row("0", 0, "Conv2d", 2, 3, 0.1),  // 5 ms measured, 3 at peak
        row("1", 0, "BatchNorm", 1, 1, 0),  // 2 ms other
        row("2", 0, "BasicBlock", 4, 6, 0.2),  // 10 ms: 7 in its children, 3 its own
        row("2.branch.0", 1, "Conv2d", 2, 3, 0.2),  // 5 ms measured, 6 at peak
        row("2.branch.1", 1, "BatchNorm", 1, 1, 0),  // 2 ms other
      ])
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

@testable import Benchmarks
import Foundation
@testable import Tensor
import Testing

@testable import Report

@Suite struct BenchPageTests {
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

  /// The page shows medians with their range, the ratios to the peer and each target met or not.
  @Test func pageShowsMediansRatiosAndTargets() {
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
    let md = BenchPage.markdown(sitting)
    #expect(md.contains("| W1: mlp | 2200 (2100–2300) | 1000 (1000–1000) | 2.20 |"))
    #expect(md.contains("| W3 training × PyTorch | ≥ 2.2× | 2.00 | **no** |"))
    #expect(md.contains("test machine") && md.contains("2 rounds"))
    #expect(!md.contains("| W4 | "), "a workload without a peer has no evaluation-ratio row")
    #expect(!md.contains("What stands in the way"), "no profiles, no section")
  }

  /// Each profiled workload gets its table and the step split in words; `dropbench report` rewrites the page
  /// from the stored sitting byte for byte.
  @Test func profileSectionAndRewrite() throws {
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
    let sitting = PeerComparison.Sitting(
      date: "2026-12-04", machine: "test machine", kernels: Self.kernels, gemm: [Benchmark.GemmResult(n: 1024, gflops: 100)],
      torch: "2.13", rounds: 2, maxSteps: nil,
      rows: [
        // The peer's step: 128 images at 3,200 img/s, 40 ms.
        PeerComparison.Row(
          workload: "W3", description: "resnet8", ours: [Self.ours("W3", train: 1, eval: 1)],
          peer: [Self.peer(3200, 1, 1)])
      ],
      profiles: [profile])
    let md = BenchPage.markdown(sitting)
    #expect(md.contains("## What stands in the way"))
    #expect(md.contains("### W3: resnet8 — 20.0 ms a step"))
    #expect(md.contains("| 0 Conv2d | 2.00 | 3.00 | 0.100 | 3.00 | 60.0 |"))
    #expect(md.contains("| ↳ 2.branch.1 BatchNorm | 1.00 | 1.00 | – | – | – |"))
    #expect(md.contains("would bring the step to 47.4% of the peak"))
    #expect(md.contains("75% needs the step within 12.0 ms, and everything else alone takes 10.0 ms"))
    // 40 ms / 9 ms at the peak; 40 / (9 + 10) with everything else as it is.
    #expect(md.contains("PyTorch's step took 40.0 ms in this sitting: a step of nothing but matrix products at the peak would be 4.44× PyTorch, and with everything else as it is 2.11×."))
    // `dropbench report` rewrites the page from the stored sitting, byte for byte.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-page-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try !BenchPage.rewrite(reports: dir), "no bench.json, no page")
    try JSONEncoder().encode(sitting).write(to: dir.appendingPathComponent("bench.json"))
    #expect(try BenchPage.rewrite(reports: dir))
    #expect(try String(contentsOf: dir.appendingPathComponent("bench.md"), encoding: .utf8) == md)
  }
}

import Benchmarks
import Tensor

/// Sittings and profiles that the Benchmarks tests (targets, step split) and the Report tests (bench.md) share.
public enum BenchFixtures {
  public static func ours(_ w: String, train: Double, eval: Double, peak: Double = 60) -> Benchmark.WorkloadResult {
    Benchmark.WorkloadResult(
      workload: w, description: w, forwardMFLOPPerImage: 1, trainImagesPerSecond: train, evalImagesPerSecond: eval,
      trainGFLOPS: 1, percentOfPeak: peak, testAccuracyAfterOneEpoch: 80, peakResidentMiB: 100)
  }

  public static func peer(_ train: Double, _ eval1000: Double, _ eval128: Double) -> PeerComparison.PeerRun {
    PeerComparison.PeerRun(trainImagesPerSecond: train, evalImagesPerSecond: eval1000, evalImagesPerSecondBatch128: eval128)
  }

  public static var kernels: KernelInfo {
    KernelInfo(
      selection: KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"), blasCoreLoaded: "Haswell", blasConfig: "",
      dnnlVersion: "2.6.3", cpuModel: "test CPU")
  }

  static func sitting(date: String, rows: [PeerComparison.Row], profiles: [LayerProfile.Profile]? = nil)
    -> PeerComparison.Sitting
  {
    PeerComparison.Sitting(
      date: date, machine: "test machine", kernels: kernels, gemm: [Benchmark.GemmResult(n: 1024, gflops: 100)],
      torch: "2.13", rounds: 2, maxSteps: nil, rows: rows, profiles: profiles)
  }

  /// Two rounds of W1 (2300 and 2100 img/s; the peer 1000) and one of W3 (2000; the peer 1000, evaluation 6000 at
  /// batch 128), W4 at 1980 and W5 at 2500 without a peer; peak 100 GFLOP/s. W1 meets its training target at the
  /// threshold (2.2×), W3 misses it (2.0×).
  public static var fourWorkloads: PeerComparison.Sitting {
    sitting(
      date: "2026-12-03",
      rows: [
        PeerComparison.Row(
          workload: "W1", description: "mlp",
          ours: [ours("W1", train: 2300, eval: 9000), ours("W1", train: 2100, eval: 9000)],
          peer: [peer(1000, 3000, 5000), peer(1000, 3000, 7000)]),
        PeerComparison.Row(
          workload: "W3", description: "resnet", ours: [ours("W3", train: 2000, eval: 6000, peak: 80)],
          peer: [peer(1000, 2000, 6000)]),
        PeerComparison.Row(workload: "W4", description: "dropconnect", ours: [ours("W4", train: 1980, eval: 1)], peer: []),
        PeerComparison.Row(workload: "W5", description: "sd", ours: [ours("W5", train: 2500, eval: 1)], peer: []),
      ])
  }

  /// A W3 step of 20 ms at a peak of 100 GFLOP/s (0.1 GFLOP forward is 3 ms of training at the peak): a stem conv
  /// (5 ms measured, 3 at peak), a BatchNorm (2 ms), a block of 10 ms whose children take 7 (a conv: 5 ms measured,
  /// 6 at peak; a BatchNorm: 2 ms), 3 ms outside the layers.
  public static var w3Profile: LayerProfile.Profile {
    func row(_ path: String, _ depth: Int, _ layer: String, _ fwd: Double, _ bwd: Double, _ gflop: Double)
      -> LayerProfile.Row
    {
      LayerProfile.Row(
        path: path, depth: depth, layer: layer, forwardMilliseconds: fwd, backwardMilliseconds: bwd,
        forwardGFLOP: gflop, trainingGFLOP: 3 * gflop)
    }
    return LayerProfile.Profile(
      workload: "W3", stepMilliseconds: 20,
      rows: [
        row("0", 0, "Conv2d", 2, 3, 0.1), row("1", 0, "BatchNorm", 1, 1, 0), row("2", 0, "BasicBlock", 4, 6, 0.2),
        row("2.branch.0", 1, "Conv2d", 2, 3, 0.2), row("2.branch.1", 1, "BatchNorm", 1, 1, 0),
      ])
  }

  /// W3 profiled (`w3Profile`), the peer's step 40 ms (128 images at 3,200 img/s).
  public static var profiledW3: PeerComparison.Sitting {
    sitting(
      date: "2026-12-04",
      rows: [
        PeerComparison.Row(
          workload: "W3", description: "resnet8", ours: [ours("W3", train: 1, eval: 1)], peer: [peer(3200, 1, 1)])
      ],
      profiles: [w3Profile])
  }
}

import Foundation
import Tensor

/// `make bench-peer`: DropBench's workloads and the PyTorch CPU peer (`Tests/Peer/pytorch_cpu_bench.py`) run
/// alternately in one sitting — ours, peer, ours, peer … per workload — so that a neighbour's burst or the host's
/// clock drift hits both sides alike; medians over the rounds, the ratios, and the engine targets of the speed
/// issue checked against them. Hosts differ (Intel, AMD): only ratios from one sitting are comparable.
public enum PeerComparison {
  /// The peer script's name for each of our workloads that it has (W4 and W5 have no PyTorch twin: their row
  /// compares them with our own plain workload instead).
  public static let peerNames = ["W1": "mlp", "W2": "cnn", "W3": "resnet8", "W3d": "resnet8d"]

  /// One run of the peer on one workload (`pytorch_cpu_bench.py --json`, one thread).
  public struct PeerRun: Codable, Sendable, Equatable {
    public var trainImagesPerSecond: Double
    /// Test-set evaluation at batch 1000 and at batch 128 (the faster one is the fair comparison).
    public var evalImagesPerSecond: Double
    public var evalImagesPerSecondBatch128: Double
    public var bestEvalImagesPerSecond: Double { max(evalImagesPerSecond, evalImagesPerSecondBatch128) }

    public init(trainImagesPerSecond: Double, evalImagesPerSecond: Double, evalImagesPerSecondBatch128: Double) {
      self.trainImagesPerSecond = trainImagesPerSecond
      self.evalImagesPerSecond = evalImagesPerSecond
      self.evalImagesPerSecondBatch128 = evalImagesPerSecondBatch128
    }
  }

  /// The one-thread result of `workload` (the peer's name) in a peer JSON file, and the torch version.
  public static func parsePeer(_ data: Data, workload: String) -> (run: PeerRun, torch: String)? {
    guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let results = json["results"] as? [[String: Any]],
      let r = results.first(where: { ($0["workload"] as? String) == workload && ($0["threads"] as? Int) == 1 }),
      let train = r["train_img_s"] as? Double, let eval = r["eval_img_s"] as? Double
    else { return nil }
    let eval128 = r["eval_img_s_bs128"] as? Double ?? 0
    return (
      PeerRun(trainImagesPerSecond: train, evalImagesPerSecond: eval, evalImagesPerSecondBatch128: eval128),
      json["torch"] as? String ?? "?"
    )
  }

  /// Every round of one workload: ours and the peer's (empty when the peer has no such workload).
  public struct Row: Codable, Sendable {
    public var workload: String
    public var description: String
    public var ours: [Benchmark.WorkloadResult]
    public var peer: [PeerRun]

    public init(workload: String, description: String, ours: [Benchmark.WorkloadResult], peer: [PeerRun]) {
      self.workload = workload
      self.description = description
      self.ours = ours
      self.peer = peer
    }

    public var train: Double { median(ours.map(\.trainImagesPerSecond)) }
    public var eval: Double { median(ours.map(\.evalImagesPerSecond)) }
    public var percentOfPeak: Double { median(ours.map(\.percentOfPeak)) }
    public var peerTrain: Double? { peer.isEmpty ? nil : median(peer.map(\.trainImagesPerSecond)) }
    public var peerBestEval: Double? { peer.isEmpty ? nil : median(peer.map(\.bestEvalImagesPerSecond)) }
    /// Which of the peer's batch sizes was faster in most rounds.
    public var peerBestEvalBatch: Int {
      peer.filter { $0.evalImagesPerSecondBatch128 > $0.evalImagesPerSecond }.count * 2 > peer.count ? 128 : 1000
    }
  }

  /// One sitting: the machine, the sgemm peak, every workload's rounds.
  public struct Sitting: Codable, Sendable {
    public var date: String
    public var machine: String
    public var kernels: KernelInfo
    public var gemm: [Benchmark.GemmResult]
    public var torch: String
    public var rounds: Int
    public var maxSteps: Int?
    public var rows: [Row]
    /// The per-layer training profiles of the workloads short of a training target (nil in sittings from before
    /// they were taken).
    public var profiles: [LayerProfile.Profile]?

    public init(
      date: String, machine: String, kernels: KernelInfo, gemm: [Benchmark.GemmResult], torch: String, rounds: Int,
      maxSteps: Int?, rows: [Row], profiles: [LayerProfile.Profile]? = nil
    ) {
      self.date = date
      self.machine = machine
      self.kernels = kernels
      self.gemm = gemm
      self.torch = torch
      self.rounds = rounds
      self.maxSteps = maxSteps
      self.rows = rows
      self.profiles = profiles
    }

    public func row(_ workload: String) -> Row? { rows.first { $0.workload == workload } }

    /// The best sgemm rate of the sitting, GFLOP/s.
    public var peak: Double { gemm.map(\.gflops).max() ?? .nan }
  }

  /// One target of the engine-speed issue and whether this sitting meets it.
  public struct Target: Sendable, Equatable {
    public var name: String
    public var measured: Double
    public var goal: String
    public var met: Bool
    /// The workload whose speed the target is about, and whether it is about training (else evaluation).
    public var workload: String
    public var training: Bool
  }

  /// The workloads short of a training target, in the page's order: those `bench-peer` profiles layer by layer.
  public static func workloadsShortOfTrainingTargets(_ s: Sitting) -> [String] {
    let short = Set(targets(s).filter { $0.training && !$0.met }.map(\.workload))
    return s.rows.map(\.workload).filter(short.contains)
  }

  /// The targets: training ≥ 2.2× PyTorch on W1–W3; ≥ 75% of the sgemm peak on W2/W3; evaluation ≥ 1.5×
  /// PyTorch's faster batch size on every workload with a peer; DropBlock (W3d) and DropConnect (W4) within 10% of
  /// their plain workload's training speed; stochastic depth (W5) faster than plain W3. A target whose rows are
  /// missing is left out.
  public static func targets(_ s: Sitting) -> [Target] {
    var out: [Target] = []
    for w in ["W1", "W2", "W3"] {
      guard let r = s.row(w), let p = r.peerTrain else { continue }
      let ratio = r.train / p
      out.append(
        Target(
          name: "\(w) training × PyTorch", measured: ratio, goal: "≥ 2.2×", met: ratio >= 2.2, workload: w,
          training: true))
    }
    for w in ["W2", "W3"] {
      guard let r = s.row(w) else { continue }
      out.append(
        Target(
          name: "\(w) training, % of sgemm peak", measured: r.percentOfPeak, goal: "≥ 75%", met: r.percentOfPeak >= 75,
          workload: w, training: true))
    }
    for r in s.rows {
      guard let p = r.peerBestEval else { continue }
      let ratio = r.eval / p
      out.append(
        Target(
          name: "\(r.workload) evaluation × PyTorch's faster batch", measured: ratio, goal: "≥ 1.5×", met: ratio >= 1.5,
          workload: r.workload, training: false))
    }
    for (w, name) in [("W3d", "DropBlock"), ("W4", "DropConnect")] {
      guard let plain = plainWorkload[w], let r = s.row(w), let base = s.row(plain) else { continue }
      let ratio = r.train / base.train
      out.append(
        Target(
          name: "\(name) (\(w)) training ÷ \(plain)", measured: ratio, goal: "≥ 0.9", met: ratio >= 0.9, workload: w,
          training: true))
    }
    if let r = s.row("W5"), let base = plainWorkload["W5"].flatMap(s.row) {
      let ratio = r.train / base.train
      out.append(
        Target(
          name: "stochastic depth (W5) training ÷ W3", measured: ratio, goal: "> 1 (skips blocks)", met: ratio > 1,
          workload: "W5", training: true))
    }
    return out
  }

  public static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  /// The plain workload a regularized one is compared with (its target, and its profile's last sentence).
  public static let plainWorkload = ["W3d": "W3", "W4": "W1", "W5": "W3"]

  /// A profile's step split into matrix-product layers and the rest (leaves: rows with nothing nested).
  public struct StepSplit {
    public var peak: Double
    public var matrixMeasured = 0.0
    public var matrixAtPeak = 0.0
    public var otherLayers = 0.0
    public var composite = 0.0
    public var outside = 0.0

    public init(_ p: LayerProfile.Profile, peak: Double) {
      self.peak = peak
      for (i, r) in p.rows.enumerated() {
        let children = p.rows[(i + 1)...].prefix { $0.depth > r.depth }.filter { $0.depth == r.depth + 1 }
        if children.isEmpty {
          if r.forwardGFLOP > 0 {
            matrixMeasured += r.milliseconds
            matrixAtPeak += atPeak(r)
          } else {
            otherLayers += r.milliseconds
          }
        } else {
          composite += max(0, r.milliseconds - children.reduce(0) { $0 + $1.milliseconds })
        }
      }
      outside = max(0, p.stepMilliseconds - p.topLevel.reduce(0) { $0 + $1.milliseconds })
    }

    /// Milliseconds of a row's training matrix products at the peak.
    public func atPeak(_ r: LayerProfile.Row) -> Double { r.trainingGFLOP / peak * 1000 }
    public var otherTotal: Double { otherLayers + composite + outside }
    /// The % of the peak the step would reach if its matrix products ran at the peak and nothing else changed.
    public var ceilingPercent: Double { 100 * matrixAtPeak / (matrixAtPeak + otherTotal) }
  }
}

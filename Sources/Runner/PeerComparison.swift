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

  /// The issue's targets: training ≥ 2.2× PyTorch on W1–W3; ≥ 75% of the sgemm peak on W2/W3; evaluation ≥ 1.5×
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

  /// `Reports/bench.md` for a sitting.
  public static func markdown(_ s: Sitting) -> String {
    func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }
    func range(_ values: [Double]) -> String {
      values.count < 2 ? "" : " (\(f(values.min()!))–\(f(values.max()!)))"
    }
    var md = "# Engine benchmark: DropBench and the PyTorch CPU peer, one sitting\n\n"
    md += "Measured \(s.date) by `make bench-peer` on \(s.machine). One thread on both sides; "
    md += "OpenBLAS core `\(s.kernels.selection.blasCoreType)`, oneDNN \(s.kernels.dnnlVersion) "
    md += "(max ISA `\(s.kernels.selection.dnnlISA)`); PyTorch \(s.torch). "
    md += "Each workload ran \(s.rounds) rounds, ours then the peer's (A B A B …); the figures are medians over the "
    md += "rounds (range in brackets). Training: batch 128, SGD momentum 0.9, "
    md += s.maxSteps.map { "\($0) steps (ours) after 20 warm-up steps; " } ?? "one epoch, timed after 20 warm-up steps; "
    md += "evaluation: the 10,000 test images (ours at batch 1000; the peer's faster of batch 1000 and 128). "
    md += "Hosts differ: compare ratios, not absolute speeds across machines.\n\n"
    md += "sgemm peak (OpenBLAS, this sitting): "
    md += s.gemm.map { "\($0.n)³ \(f($0.gflops, 1)) GFLOP/s" }.joined(separator: ", ") + "\n\n"
    md += "## Training\n\n| workload | ours img/s | PyTorch img/s | × PyTorch | train GFLOP/s | % of sgemm peak | "
    md += "1-epoch test acc. | peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n"
    for r in s.rows {
      let p = r.peerTrain
      md += "| \(r.workload): \(r.description) | \(f(r.train))\(range(r.ours.map(\.trainImagesPerSecond))) | "
      md += p.map { f($0) + range(r.peer.map(\.trainImagesPerSecond)) } ?? "–"
      md += " | \(p.map { f(r.train / $0, 2) } ?? "–") | \(f(median(r.ours.map(\.trainGFLOPS)), 1)) | "
      md += "\(f(r.percentOfPeak, 1)) | \(f(median(r.ours.map(\.testAccuracyAfterOneEpoch)), 2))% | "
      md += "\(f(median(r.ours.map(\.peakResidentMiB)))) |\n"
    }
    if s.row("W5") != nil {
      md += "\nW5's GFLOP/s and share of the peak count the FLOPs of the blocks stochastic depth skips (nominal: "
      md += "its images per second are the comparable figure).\n"
    }
    if let w4 = s.row("W4"), median(w4.ours.map(\.testAccuracyAfterOneEpoch)) < 20 {
      md += "\nW4 diverges at the peer's learning rate 0.05 (so did every DropConnect run of dropconnect-vs-dropout "
      md += "at that rate): its 1-epoch accuracy means nothing; its speed is still the cost of its steps.\n"
    }
    md += "\n## Evaluation\n\n| workload | ours img/s (batch 1000) | PyTorch batch 1000 | PyTorch batch 128 | "
    md += "× PyTorch's faster |\n|---|---|---|---|---|\n"
    for r in s.rows where !r.peer.isEmpty {
      md += "| \(r.workload) | \(f(r.eval))\(range(r.ours.map(\.evalImagesPerSecond))) | "
      md += "\(f(median(r.peer.map(\.evalImagesPerSecond)))) | \(f(median(r.peer.map(\.evalImagesPerSecondBatch128)))) | "
      md += "\(r.peerBestEval.map { f(r.eval / $0, 2) } ?? "–") |\n"
    }
    md += "\n## Targets (engine-speed issue)\n\n| target | goal | this sitting | met |\n|---|---|---|---|\n"
    for t in targets(s) {
      md += "| \(t.name) | \(t.goal) | \(f(t.measured, t.goal.hasSuffix("%") ? 1 : 2)) | \(t.met ? "yes" : "**no**") |\n"
    }
    if let profiles = s.profiles, !profiles.isEmpty {
      md += "\n## What stands in the way: where a training step's time goes\n\n"
      md += "Each workload short of a training target, profiled layer by layer in this sitting (`dropbench bench "
      md += "--workload W --layers`: medians of 200 steps at batch 128 after 20 warm-up steps; a nested row's time "
      md += "is part of its parent's). \"At peak\" is the time the layer's matrix products — convolutions and fully "
      md += "connected layers, forward and backward: 3× the forward FLOPs, 2× where no input gradient is computed — "
      md += "would take at this sitting's sgemm peak "
      md += "(\(f(s.peak, 1)) GFLOP/s).\n"
      for p in profiles { md += profileSection(p, sitting: s) }
    }
    return md
  }

  /// What one profile says: the table, then the step split into matrix products and everything else.
  static func profileSection(_ p: LayerProfile.Profile, sitting s: Sitting) -> String {
    func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
    let split = StepSplit(p, peak: s.peak)
    let name = s.row(p.workload).map { "\(p.workload): \($0.description)" } ?? p.workload
    var md = "\n### \(name) — \(f(p.stepMilliseconds)) ms a step\n\n"
    md += "| layer | fwd ms | bwd ms | GFLOP (fwd) | ms at peak | % of peak |\n|---|---|---|---|---|---|\n"
    for r in p.rows {
      let atPeak = split.atPeak(r)
      let label = r.depth == 0 ? "\(r.path) \(r.layer)" : String(repeating: "↳ ", count: r.depth) + "\(r.path) \(r.layer)"
      md += "| \(label) | \(f(r.forwardMilliseconds, 2)) | \(f(r.backwardMilliseconds, 2)) | "
      md += r.forwardGFLOP > 0 ? "\(f(r.forwardGFLOP, 3)) | \(f(atPeak, 2)) | \(f(100 * atPeak / r.milliseconds)) |\n" : "– | – | – |\n"
    }
    md += "\nLayers with matrix products: \(f(split.matrixMeasured)) ms measured (with all they do besides: a "
    md += "weight mask, a fused ReLU), \(f(split.matrixAtPeak)) ms for their products at the peak "
    md += "(\(f(100 * split.matrixAtPeak / split.matrixMeasured))% of it). Everything else: \(f(split.otherLayers)) ms "
    md += "in layers without matrix products (BatchNorm, ReLU, pooling, dropout, masks), \(f(split.composite)) ms "
    md += "of composite layers' own work (residual add and ReLU, branch gates), \(f(split.outside)) ms outside the "
    md += "layers (batch gather, loss, SGD update). "
    md += "With everything else as it is, matrix products at the sgemm peak would bring the step to "
    md += "\(f(split.ceilingPercent))% of the peak; 75% needs the step within \(f(split.matrixAtPeak / 0.75)) ms, "
    md += "and everything else alone takes \(f(split.otherTotal)) ms."
    /// Milliseconds of one training step at `imagesPerSecond`.
    func step(_ imagesPerSecond: Double) -> Double { 1000 * Double(Benchmark.batch) / imagesPerSecond }
    if let peer = s.row(p.workload)?.peerTrain {
      let peerStep = step(peer)
      md += " PyTorch's step took \(f(peerStep)) ms in this sitting: a step of nothing but matrix products at the "
      md += "peak would be \(f(peerStep / split.matrixAtPeak, 2))× PyTorch, and with everything else as it is "
      md += "\(f(peerStep / (split.matrixAtPeak + split.otherTotal), 2))×."
    }
    if let plain = plainWorkload[p.workload], let base = s.row(plain) {
      md += " \(plain)'s step took \(f(step(base.train))) ms in this sitting (within 10% of its speed: "
      md += "\(f(step(base.train) / 0.9)) ms)."
    }
    return md + "\n"
  }

  /// The plain workload a regularized one is compared with (its target, and its profile's last sentence).
  static let plainWorkload = ["W3d": "W3", "W4": "W1", "W5": "W3"]

  /// Rewrites `bench.md` from the sitting stored in `bench.json` in `reports` (`dropbench report`); false when there
  /// is none. Byte-identical when neither the sitting nor the page's code changed.
  public static func rewritePage(reports: URL) throws -> Bool {
    guard let data = FileManager.default.contents(atPath: reports.appendingPathComponent("bench.json").path) else {
      return false
    }
    let sitting = try JSONDecoder().decode(Sitting.self, from: data)
    try AtomicFile.write(Data(markdown(sitting).utf8), to: reports.appendingPathComponent("bench.md"))
    return true
  }

  /// A profile's step split into matrix-product layers and the rest (leaves: rows with nothing nested).
  struct StepSplit {
    var peak: Double
    var matrixMeasured = 0.0
    var matrixAtPeak = 0.0
    var otherLayers = 0.0
    var composite = 0.0
    var outside = 0.0

    init(_ p: LayerProfile.Profile, peak: Double) {
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
    func atPeak(_ r: LayerProfile.Row) -> Double { r.trainingGFLOP / peak * 1000 }
    var otherTotal: Double { otherLayers + composite + outside }
    /// The % of the peak the step would reach if its matrix products ran at the peak and nothing else changed.
    var ceilingPercent: Double { 100 * matrixAtPeak / (matrixAtPeak + otherTotal) }
  }
}

import Benchmarks
import Foundation

/// `Reports/bench.md`: a sitting of `make bench-peer` — our workloads and the PyTorch peer's, the engine-speed
/// targets, and where a training step's time goes for each workload short of one.
public enum BenchPage {
  /// `Reports/bench.md` for a sitting.
  public static func markdown(_ s: PeerComparison.Sitting) -> String {
    func f(_ x: Double, _ digits: Int = 0) -> String { Fmt.decimals(x, digits) }
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
      md += " | \(p.map { f(r.train / $0, 2) } ?? "–") | \(f(PeerComparison.median(r.ours.map(\.trainGFLOPS)), 1)) | "
      md += "\(f(r.percentOfPeak, 1)) | \(f(PeerComparison.median(r.ours.map(\.testAccuracyAfterOneEpoch)), 2))% | "
      md += "\(f(PeerComparison.median(r.ours.map(\.peakResidentMiB)))) |\n"
    }
    if s.row("W5") != nil {
      md += "\nW5's GFLOP/s and share of the peak count the FLOPs of the blocks stochastic depth skips (nominal: "
      md += "its images per second are the comparable figure).\n"
    }
    if let w4 = s.row("W4"), PeerComparison.median(w4.ours.map(\.testAccuracyAfterOneEpoch)) < 20 {
      md += "\nW4 diverges at the peer's learning rate 0.05 (so did every DropConnect run of dropconnect-vs-dropout "
      md += "at that rate): its 1-epoch accuracy means nothing; its speed is still the cost of its steps.\n"
    }
    md += "\n## Evaluation\n\n| workload | ours img/s (batch 1000) | PyTorch batch 1000 | PyTorch batch 128 | "
    md += "× PyTorch's faster |\n|---|---|---|---|---|\n"
    for r in s.rows where !r.peer.isEmpty {
      md += "| \(r.workload) | \(f(r.eval))\(range(r.ours.map(\.evalImagesPerSecond))) | "
      md += "\(f(PeerComparison.median(r.peer.map(\.evalImagesPerSecond)))) | \(f(PeerComparison.median(r.peer.map(\.evalImagesPerSecondBatch128)))) | "
      md += "\(r.peerBestEval.map { f(r.eval / $0, 2) } ?? "–") |\n"
    }
    md += "\n## Targets (engine-speed issue)\n\n| target | goal | this sitting | met |\n|---|---|---|---|\n"
    for t in PeerComparison.targets(s) {
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
  static func profileSection(_ p: LayerProfile.Profile, sitting s: PeerComparison.Sitting) -> String {
    func f(_ x: Double, _ digits: Int = 1) -> String { Fmt.decimals(x, digits) }
    let split = PeerComparison.StepSplit(p, peak: s.peak)
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
    if let plain = PeerComparison.plainWorkload[p.workload], let base = s.row(plain) {
      md += " \(plain)'s step took \(f(step(base.train))) ms in this sitting (within 10% of its speed: "
      md += "\(f(step(base.train) / 0.9)) ms)."
    }
    return md + "\n"
  }

  /// Rewrites `bench.md` from the sitting stored in `bench.json` in `reports` (`dropbench report`); false when there
  /// is none. Byte-identical when neither the sitting nor the page's code changed.
  public static func rewrite(reports: URL) throws -> Bool {
    guard let data = FileManager.default.contents(atPath: reports.appendingPathComponent("bench.json").path) else {
      return false
    }
    try write(JSONDecoder().decode(PeerComparison.Sitting.self, from: data), reports: reports)
    return true
  }

  /// Writes `bench.md` for a sitting into `reports`; returns the page.
  @discardableResult
  public static func write(_ sitting: PeerComparison.Sitting, reports: URL) throws -> String {
    let page = markdown(sitting)
    try ReportWriter.writeIfChanged(Data(page.utf8), to: reports.appendingPathComponent("bench.md"))
    return page
  }
}

import Experiments
import Foundation
import Tensor

/// `dropbench verify`: re-trains a sample of an experiment's stored runs from scratch and checks that this engine,
/// on this machine, reproduces them bit for bit — the audit behind "the same spec and seed give the same results".
///
/// The runs are trained by the usual worker processes into a scratch cache (never the real one, so nothing is
/// reused), then compared with the runs in `Reports/results/<id>.json`: status, divergence step, every epoch's
/// training loss and metrics, and the final metrics. Wall time is not compared.
public enum Verification {
  /// One re-trained run and how it compares with the stored one.
  public struct RunCheck: Sendable, Equatable {
    public var label: String
    /// nil when bit-identical; else the first difference, e.g. `epoch 3 test_accuracy: stored 88.21, now 88.19`.
    public var difference: String?
    /// Why the run could not be compared (training failed), if so.
    public var error: String?
  }

  public struct Report: Sendable {
    public var experimentID: String
    public var checks: [RunCheck]
    /// Set when the stored results were produced with other kernels or another engine version: differences are
    /// then expected, and the report says so.
    public var caveats: [String]

    public var identical: Int { checks.filter { $0.difference == nil && $0.error == nil }.count }
    public var differing: [RunCheck] { checks.filter { $0.difference != nil } }
    public var failed: [RunCheck] { checks.filter { $0.error != nil } }
  }

  /// `sample` indices spread evenly over `0..<count` (first and last included), in order.
  public static func sampleIndices(count: Int, sample: Int) -> [Int] {
    guard count > 0, sample > 0 else { return [] }
    if sample >= count { return Array(0..<count) }
    if sample == 1 { return [0] }
    return (0..<sample).map { i in (i * (count - 1) + (sample - 1) / 2) / (sample - 1) }
  }

  /// Bit-identical, except that any two NaNs match (results JSON stores NaN as "nan", without its payload).
  static func same(_ x: Double, _ y: Double) -> Bool { x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }

  /// The first difference between a stored run and its re-training, or nil when they are bit-identical.
  public static func difference(stored a: RunRecord, now b: RunRecord) -> String? {
    func show(_ v: Double) -> String { "\(v)" }
    if a.status != b.status { return "status: stored \(a.status.rawValue), now \(b.status.rawValue)" }
    if a.divergedAtStep != b.divergedAtStep {
      return "diverged at step: stored \(a.divergedAtStep.map(String.init) ?? "–"), now "
        + "\(b.divergedAtStep.map(String.init) ?? "–")"
    }
    if a.epochs.count != b.epochs.count { return "epochs: stored \(a.epochs.count), now \(b.epochs.count)" }
    for (x, y) in zip(a.epochs, b.epochs) {
      if !same(x.trainLoss, y.trainLoss) {
        return "epoch \(x.epoch) train loss: stored \(show(x.trainLoss)), now \(show(y.trainLoss))"
      }
      if let d = metricsDifference(x.metrics, y.metrics) { return "epoch \(x.epoch) \(d)" }
    }
    return metricsDifference(a.final, b.final).map { "final \($0)" }
  }

  static func metricsDifference(_ a: [String: Double], _ b: [String: Double]) -> String? {
    for name in Set(a.keys).union(b.keys).sorted() {
      switch (a[name], b[name]) {
      case (let x?, let y?) where !same(x, y): return "\(name): stored \(x), now \(y)"
      // A metric the engine learned to record after the run was stored is an addition, not a difference.
      case (nil, .some): continue
      case (.some, nil): return "\(name): stored, now missing"
      default: continue
      }
    }
    return nil
  }

  /// Re-trains `sample` runs of `plan` (spread over its grid) into `scratch` and compares them with `stored`.
  /// `onFinish` is called with each run's label as it completes, and the error if it failed.
  public static func verify(
    _ plan: ExperimentPlan, stored: ExperimentResults, sample: Int, jobs: Int, scratch: URL, kernels: KernelInfo,
    executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
    onFinish: @escaping @Sendable (String, String?) -> Void = { _, _ in }
  ) throws -> Report {
    var caveats: [String] = []
    let p = stored.provenance
    let here = "\(kernels.selection.blasCoreType)/\(kernels.selection.dnnlISA)"
    if "\(p.blasCoreType)/\(p.dnnlISA)" != here {
      caveats.append(
        "stored results used kernels \(p.blasCoreType)/\(p.dnnlISA), this machine \(here): bits may differ")
    }
    if p.engineVersion != EngineVersion.current {
      caveats.append("stored results come from engine \(p.engineVersion), this is \(EngineVersion.current)")
    }
    if stored.scale != plan.scale {
      throw RunnerError.badParameter(
        "scale", "\(plan.spec.id): stored results are at scale \(stored.scale), not \(plan.scale)")
    }
    let keyed = try ExperimentRunner.keyedRuns(plan, kernels: kernels.selection)
    // Stored runs by resolved config (it includes the seed): the same config is the same run.
    var byConfig: [ConfigValue: RunRecord] = [:]
    for r in stored.runs { byConfig[r.config] = r }
    let candidates = keyed.filter { byConfig[$0.run.configTree] != nil }
    guard !candidates.isEmpty else {
      throw RunnerError.badParameter(
        "experiment", "\(plan.spec.id): no stored run matches this spec's runs (was the spec changed since?)")
    }
    let chosen = sampleIndices(count: candidates.count, sample: sample).map { candidates[$0] }
    let labels = Dictionary(
      chosen.map { ($0.key, "\($0.run.point.label) seed \($0.run.seed)") }, uniquingKeysWith: { a, _ in a })
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    let cache = RunCache(directory: scratch)
    let work = chosen.map {
      WorkerJob(
        key: $0.key, config: $0.run.config, configTree: $0.run.configTree, point: $0.run.point.coordinates,
        cacheDirectory: scratch.path)
    }
    let failures = try WorkerPool.train(work, executable: executable, processes: jobs) { message in
      switch message.kind {
      case .progress, .busy: break
      case .done, .cached: onFinish(labels[message.key] ?? message.key, nil)
      case .failed: onFinish(labels[message.key] ?? message.key, message.error ?? "unknown error")
      }
    }
    let errors = Dictionary(failures.map { ($0.key, $0.error) }, uniquingKeysWith: { a, _ in a })
    let checks = chosen.map { k -> RunCheck in
      let label = labels[k.key] ?? k.key
      guard let now = cache.load(k.key) else {
        return RunCheck(label: label, difference: nil, error: errors[k.key] ?? "no result")
      }
      return RunCheck(label: label, difference: difference(stored: byConfig[k.run.configTree]!, now: now), error: nil)
    }
    return Report(experimentID: plan.spec.id, checks: checks, caveats: caveats)
  }
}

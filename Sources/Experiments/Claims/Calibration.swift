import Foundation

/// Pilot data for the regime's budget-robustness condition (c): per arm, per training budget, the final train
/// metric and the final held-out metric of each pilot seed. Each budget is a complete schedule of its own length
/// (under cosine, annealed to zero at its own end), not an evaluation part-way through a longer one. A pilot runs
/// the reference and the most-regularized arm at E/2 and E epochs, on seeds disjoint from the verdict's; it is
/// scored on images of the training pool that its training subset leaves out, never on the test split, so it
/// cannot be tuned to the claim's contrast (`dropbench calibrate`).
public struct CalibrationRecord: Codable, Sendable, Equatable {
  /// One complete training schedule of `epochs` epochs: seed → final train metric, and seed → final held-out
  /// metric (nil in records made before pilots were scored on held-out images, or when the pool leaves none).
  public struct Budget: Codable, Sendable, Equatable {
    public var epochs: Int
    public var finals: [Int: Double]
    public var heldOut: [Int: Double]?

    public init(epochs: Int, finals: [Int: Double], heldOut: [Int: Double]? = nil) {
      self.epochs = epochs
      self.finals = finals
      self.heldOut = heldOut
    }
  }

  /// One arm of the pilot, named by its sweep coordinates (matched like a spec's `reference`).
  public struct Arm: Codable, Sendable, Equatable {
    public var point: [String: ConfigValue]
    public var budgets: [Budget]

    public init(point: [String: ConfigValue], budgets: [Budget]) {
      self.point = point
      self.budgets = budgets
    }
  }

  /// The train metric the pilot recorded (`train_accuracy`, `train_dice`, `train_mse`, or a training-mode metric).
  public var metric: String
  /// The held-out metric the pilot recorded (`heldout_accuracy`, `heldout_dice`, `heldout_mse`): the same quantity
  /// as `metric` on images the training never saw. Nil in records made before it existed.
  public var heldOutMetric: String?
  public var arms: [Arm]
  /// The rung's base overrides the pilots trained at (`CalibrationFile.recordForGate` sets them from the chosen
  /// rung; never stored in a rung's record). The gate vouches only for runs trained at every one of them.
  public var settings: [String: ConfigValue]?

  public init(metric: String, heldOutMetric: String? = nil, arms: [Arm], settings: [String: ConfigValue]? = nil) {
    self.metric = metric
    self.heldOutMetric = heldOutMetric
    self.arms = arms
    self.settings = settings
  }

  /// The held-out name of a train metric: `train_accuracy` → `heldout_accuracy`, `train_dice` → `heldout_dice`
  /// (a training-mode metric maps to the same held-out one; held-out images are always scored in evaluation mode).
  public static func heldOutName(of trainMetric: String) -> String {
    for prefix in ["train_mode_", "train_"] where trainMetric.hasPrefix(prefix) {
      return "heldout_" + trainMetric.dropFirst(prefix.count)
    }
    return "heldout_" + trainMetric
  }
}

/// The outcome of condition (c) for one point.
struct BudgetCheck {
  var change: Double?
  var low: Double?
  var high: Double?
  /// Shown robust; false when measured and not shown, or not measured.
  var robust: Bool
  /// Why there are no numbers (nil when measured).
  var note: String?
  /// The metric the change was measured on: the held-out one when the record has it, else the train metric.
  var metric: String?
}

extension Regime {
  static let noCalibration = "budget robustness not measured — no calibration record"
  /// Condition (c) is an equivalence test: two one-sided t-tests at 5% against ±margin (Schuirmann 1987), i.e. the
  /// 90% interval of the paired change within ±margin. Rule v2 asked for the 95% interval; with pilots scored on
  /// held-out images (seed spread of a test accuracy rather than a train accuracy) that accepted only 94% of
  /// simulated converged proxies (ConvergenceSimulationTests), the 5% test 98% while still rejecting every
  /// drifting one.
  static let budgetLevel = 0.90

  /// Condition (c) for `point`: the paired change of the final held-out metric (rule v3; the final train metric
  /// where the record has no held-out score, as in v2) from the pilot's E/2 schedule to its E schedule, in the
  /// metric's better direction, must have its 90% interval within ±`margin` (`budgetLevel`). `epochs` is the verdict runs' budget
  /// E (nil when they do not say); the pilot's longer schedule must match it.
  func budgetCheck(
    point: GridPoint, calibration: CalibrationRecord?, metric: String, better: Double, margin: Double?, epochs: Int?,
    configs: [ConfigValue] = []
  ) -> BudgetCheck {
    func notMeasured(_ why: String) -> BudgetCheck { BudgetCheck(robust: false, note: why) }
    guard let calibration else { return notMeasured(Self.noCalibration) }
    guard let margin else {
      return notMeasured(
        "budget robustness not measured — state budget_margin for \(metric) (no default off a percentage)")
    }
    guard calibration.metric == metric || calibration.metric == trainModeName(of: metric) else {
      return notMeasured(
        "budget robustness not measured — the calibration record is on \(calibration.metric), the gate reads \(metric)")
    }
    // An evaluation axis (`eval.*`) does not change the training: a pilot of one evaluation stands for them all.
    func training(_ coordinates: [String: ConfigValue]) -> [String: ConfigValue] {
      coordinates.filter { !$0.key.hasPrefix("eval.") }
    }
    guard
      let arm = calibration.arms.first(where: { !training($0.point).isEmpty && point.matches(training($0.point)) })
    else {
      return notMeasured("budget robustness not measured — the calibration record has no run of \(point.label)")
    }
    guard let full = arm.budgets.max(by: { $0.epochs < $1.epochs }),
      let half = arm.budgets.filter({ abs(2 * $0.epochs - full.epochs) <= 1 && $0.epochs < full.epochs }).first
    else {
      return notMeasured(
        "budget robustness not measured — the calibration record of \(point.label) lacks two schedules of E/2 and E epochs"
      )
    }
    if let epochs, epochs != full.epochs {
      return notMeasured(
        "budget robustness not measured — calibrated at \(half.epochs) and \(full.epochs) epochs, these runs train \(epochs)"
      )
    }
    if let mismatch = Self.settingMismatch(calibration.settings ?? [:], point: point, configs: configs) {
      return notMeasured("budget robustness not measured — " + mismatch)
    }
    // The held-out score when both schedules have it on at least two common seeds (the same direction and unit as
    // the train metric: it is the same quantity on other images); otherwise the train metric.
    var (fullValues, halfValues, basis) = (full.finals, half.finals, metric)
    if let name = calibration.heldOutMetric, let h = half.heldOut, let f = full.heldOut,
      Set(f.keys).intersection(h.keys).count >= 2
    {
      (fullValues, halfValues, basis) = (f, h, name)
    }
    let seeds = Set(fullValues.keys).intersection(halfValues.keys).sorted()
    guard seeds.count >= 2 else {
      return notMeasured(
        "budget robustness not measured — fewer than two pilot seeds of \(point.label) ran at both budgets")
    }
    let changes = seeds.map { better * (fullValues[$0]! - halfValues[$0]!) }
    let (low, high) = Self.interval(changes, level: Self.budgetLevel)
    guard let low, let high else { return notMeasured("budget robustness not measured — no interval") }
    return BudgetCheck(
      change: Statistics.mean(changes), low: low, high: high, robust: low >= -margin && high <= margin, note: nil,
      metric: basis)
  }

  /// Where `configs` (the point's runs) were not trained at a calibrated rung's `settings`: "calibrated at train.lr
  /// = 0.01, these runs train at 0.02". The pilot vouches for the budget it trained, so every setting of the rung
  /// must hold in every run — not only E, which the caller checks. Left out: a setting the point's own sweep
  /// coordinates decide (the pilot's arm had the sweep's value too) and the evaluation cadence (`train.eval_every`,
  /// `train.eval_batch`, `eval.*`), which changes what is measured, not what is trained. Nil when all agree.
  static func settingMismatch(
    _ settings: [String: ConfigValue], point: GridPoint, configs: [ConfigValue]
  ) -> String? {
    let swept = point.coordinates.keys
    for (path, value) in settings.sorted(by: { $0.key < $1.key }) {
      if ["train.eval_every", "train.eval_batch"].contains(path) || path.isAtOrUnder("eval") { continue }
      if swept.contains(where: { path.isAtOrUnder($0) }) { continue }
      for config in configs {
        let trained = config[path: path]
        if let trained, Self.sameSetting(trained, value) { continue }
        return "calibrated at \(path) = \(value), these runs train at \(trained.map { "\($0)" } ?? "no \(path)")"
      }
    }
    return nil
  }

  /// Equal settings, numbers compared by value (`120` and `120.0` are one budget).
  static func sameSetting(_ a: ConfigValue, _ b: ConfigValue) -> Bool {
    if let x = a.asDouble, let y = b.asDouble { return x == y }
    return a == b
  }

  /// The name a training-mode variant of a train metric is recorded under (`train_accuracy` →
  /// `train_mode_accuracy`). Today's Runner records none; the gate reads one when a run has it.
  func trainModeName(of metric: String) -> String {
    metric.hasPrefix("train_") ? "train_mode_" + metric.dropFirst("train_".count) : "train_mode_" + metric
  }
}

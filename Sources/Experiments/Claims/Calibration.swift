import Foundation

/// Pilot data for the regime's budget-robustness condition (c): per arm, per training budget, the final train
/// metric of each pilot seed. Each budget is a complete schedule of its own length (under cosine, annealed to zero
/// at its own end), not an evaluation part-way through a longer one. A pilot runs the reference and the
/// most-regularized arm at E/2 and E epochs, on seeds disjoint from the verdict's; it never needs a test metric,
/// so it cannot be tuned to the claim's contrast.
///
/// Nothing produces one yet: a later `dropbench calibrate` will. Until then the gate is given none, and every
/// annealed spec reports "budget robustness not measured — no calibration record".
public struct CalibrationRecord: Codable, Sendable, Equatable {
  /// One complete training schedule of `epochs` epochs: seed → final train metric.
  public struct Budget: Codable, Sendable, Equatable {
    public var epochs: Int
    public var finals: [Int: Double]

    public init(epochs: Int, finals: [Int: Double]) {
      self.epochs = epochs
      self.finals = finals
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
  public var arms: [Arm]

  public init(metric: String, arms: [Arm]) {
    self.metric = metric
    self.arms = arms
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
}

extension Regime {
  static let noCalibration = "budget robustness not measured — no calibration record"

  /// Condition (c) for `point`: the paired change of the final train metric from the pilot's E/2 schedule to its E
  /// schedule, in the metric's better direction, must have its 95% interval within ±`margin`. `epochs` is the
  /// verdict runs' budget E (nil when they do not say); the pilot's longer schedule must match it.
  func budgetCheck(
    point: GridPoint, calibration: CalibrationRecord?, metric: String, better: Double, margin: Double?, epochs: Int?
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
    let seeds = Set(full.finals.keys).intersection(half.finals.keys).sorted()
    guard seeds.count >= 2 else {
      return notMeasured(
        "budget robustness not measured — fewer than two pilot seeds of \(point.label) ran at both budgets")
    }
    let changes = seeds.map { better * (full.finals[$0]! - half.finals[$0]!) }
    let (low, high) = Self.interval(changes)
    guard let low, let high else { return notMeasured("budget robustness not measured — no interval") }
    return BudgetCheck(
      change: Statistics.mean(changes), low: low, high: high, robust: low >= -margin && high <= margin, note: nil)
  }

  /// The name a training-mode variant of a train metric is recorded under (`train_accuracy` →
  /// `train_mode_accuracy`). Today's Runner records none; the gate reads one when a run has it.
  func trainModeName(of metric: String) -> String {
    metric.hasPrefix("train_") ? "train_mode_" + metric.dropFirst("train_".count) : "train_mode_" + metric
  }
}

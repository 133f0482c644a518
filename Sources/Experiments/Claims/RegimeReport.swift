import Foundation

/// What the regime gate measured: per point, the train and test metric, their gap, and the quantities of each
/// condition; whether each condition is met. Stored in results files: every field added after the first version
/// is optional, so older files decode (their `rule` is nil: the v1 plateau rule).
public struct RegimeReport: Codable, Sendable, Equatable {
  public struct Row: Codable, Sendable, Equatable {
    public var label: String
    public var isReference: Bool
    /// Runs of the point that finished (not diverged, stalled or failed); nil in results from before it was kept.
    public var finished: Int?
    public var train: Double?
    public var test: Double?
    /// Mean over finished seeds of (train metric at the end − train metric `over` of the epochs earlier).
    /// Decided on by the v1 rule only; v2 keeps it as a description.
    public var lateGain: Double?
    /// 95% interval of the late gain over seeds (nil with fewer than two seeds).
    public var lateGainLow: Double?
    public var lateGainHigh: Double?
    /// 95% interval of the per-seed train − test gap (nil with fewer than two seeds).
    public var gapLow: Double?
    public var gapHigh: Double?
    /// Reference points: shown to over-fit (the gap's lower bound reaches `overfitGap`); nil elsewhere.
    public var overfits: Bool?
    /// v1: the late gain's upper bound is within `plateau`. v2: every convergence condition that applies to the
    /// point is shown (fit, budget robustness or settled loss); nil when none applies.
    public var converged: Bool?

    // Regime rules v2 and v3 (nil in v1 reports).
    /// The point's learning-rate schedule as the runs recorded it (`constant`, `step`, `cosine`).
    public var schedule: String?
    /// Runs of the point that diverged or stalled (d).
    public var untrained: Int?
    /// (b) mean train error (100 − train metric, in points; or the train MSE) and its 95% interval.
    public var fitError: Double?
    public var fitLow: Double?
    public var fitHigh: Double?
    /// (b) shown near interpolation; nil where (b) does not apply or the point is exempt (`fitNote` says why).
    public var fits: Bool?
    /// (b) what the fit was read on or why the point is exempt from it.
    public var fitNote: String?
    /// (c) mean paired change of the final train metric from the E/2 to the E schedule, in its better direction
    /// (positive: the longer schedule fits better), and its 90% interval (`Regime.budgetLevel`; 95% in v2 reports).
    public var budgetChange: Double?
    public var budgetLow: Double?
    public var budgetHigh: Double?
    /// (c) shown budget robust (the interval within ±margin); nil where (c) does not apply.
    public var budgetRobust: Bool?
    /// (c) why it was not measured, e.g. "budget robustness not measured — no calibration record".
    public var budgetNote: String?
    /// (c) the metric the change was measured on (`heldout_accuracy`, or the train metric where the pilot has no
    /// held-out score); nil when not measured.
    public var budgetMetric: String?
    /// (e) mean least-squares fall of the training loss over the last `over` of training, and its 95% interval.
    public var lossFall: Double?
    public var lossFallLow: Double?
    public var lossFallHigh: Double?
    /// (e) shown settled (the fall's upper bound within `plateauLoss`); nil where (e) does not apply.
    public var lossSettled: Bool?

    /// The gap is shown to fall short: even its upper bound is below `overfitGap`.
    public func shownNotToOverfit(_ overfitGap: Double) -> Bool { gapHigh.map { $0 < overfitGap } ?? false }
    /// Still rising: even the late gain's lower bound exceeds `plateau`.
    public func shownStillRising(_ plateau: Double) -> Bool { lateGainLow.map { $0 > plateau } ?? false }
    /// (b) shown not to fit: even the train error's lower bound exceeds `bound`.
    public func shownNotToFit(_ bound: Double) -> Bool { fitLow.map { $0 > bound } ?? false }
    /// (c) shown to move with the budget: the interval lies wholly outside ±`margin`.
    public func shownBudgetSensitive(_ margin: Double) -> Bool {
      guard let lo = budgetLow, let hi = budgetHigh else { return false }
      return lo > margin || hi < -margin
    }
    /// (e) shown still falling: even the loss fall's lower bound exceeds `plateauLoss`.
    public func shownLossFalling(_ plateauLoss: Double) -> Bool { lossFallLow.map { $0 > plateauLoss } ?? false }
    /// (d) every run of the point finished.
    public var trains: Bool { (untrained ?? 0) == 0 && (finished ?? 1) > 0 }
  }

  public var trainMetric: String
  public var testMetric: String
  public var overfitGap: Double?
  public var plateau: Double?
  public var over: Double
  public var rows: [Row]
  public var met: Bool
  /// One sentence: what failed, with the numbers, or that the regime holds.
  public var summary: String

  // Regime rule v2 (nil in v1 reports).
  /// `convergence-v4` for the rule of `Convergence.swift` (v2, v3 in older reports); nil for the v1 plateau rule.
  public var rule: String?
  /// (b) the bound the reference's train error was held to (points, or MSE units); nil when (b) did not apply or
  /// had no bound.
  public var fitBound: Double?
  /// (c) the budget margin used; nil when (c) did not apply.
  public var budgetMargin: Double?
  /// (e) the loss-fall bound used; nil when (e) did not apply.
  public var plateauLoss: Double?
  /// (c) a calibration record was given.
  public var calibrated: Bool?

  public init(
    trainMetric: String, testMetric: String, overfitGap: Double?, plateau: Double?, over: Double, rows: [Row],
    met: Bool, summary: String, rule: String? = nil, fitBound: Double? = nil, budgetMargin: Double? = nil,
    plateauLoss: Double? = nil, calibrated: Bool? = nil
  ) {
    self.trainMetric = trainMetric
    self.testMetric = testMetric
    self.overfitGap = overfitGap
    self.plateau = plateau
    self.over = over
    self.rows = rows
    self.met = met
    self.summary = summary
    self.rule = rule
    self.fitBound = fitBound
    self.budgetMargin = budgetMargin
    self.plateauLoss = plateauLoss
    self.calibrated = calibrated
  }

  /// The rule name reports of this rule carry (v4; `convergence-v2`/`-v3` in reports stored before it).
  public static let convergenceRule = "convergence-v4"

  /// The number of a rule name: 1 for nil (the v1 plateau rule), N for `convergence-vN`, nil for a name this build
  /// does not know (a later build's rule of another form).
  public static func version(ofRule name: String?) -> Int? {
    guard let name else { return 1 }
    guard name.hasPrefix("convergence-v"), let n = Int(name.dropFirst("convergence-v".count)) else { return nil }
    return n
  }

  /// Whether a report judged by `name` comes from a later rule than this build's: rewriting its verdict here would
  /// put an older rule's verdict in its place.
  public static func isNewerThanThisBuild(rule name: String?) -> Bool {
    guard let mine = version(ofRule: convergenceRule) else { return false }
    return version(ofRule: name).map { $0 > mine } ?? true
  }
}

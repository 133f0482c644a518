import Foundation
import NumberFormat

/// The regime a claim is about, checked before its verdict counts. A dropout claim is about nets that over-fit and
/// have been trained to convergence; on a proxy that is under-trained or does not over-fit, `fails` would be built
/// in, so the verdict is `proxy invalid` with the figures instead.
///
/// The regime must be *shown*, by the same standard as a claim: each condition is decided on the 95% interval of
/// its per-seed values, not on their mean, and all conditions must be shown (an intersection–union test, so no
/// correction across points or conditions is needed). A condition whose interval straddles its threshold is "not
/// shown" and, like one shown to fail, leaves the proxy invalid; so does a condition that could not be measured.
/// One seed shows nothing.
///
/// The conditions (regime rule v4, `Convergence.swift`; docs/convergence-rule.md has the argument and the
/// simulation behind every threshold):
/// - (a) **over-fitting** of the reference: lower bound of train − test ≥ `overfit_gap` (when stated);
/// - (b) **near-interpolation** of the reference: upper bound of its train error ≤ `fit` (100 − train accuracy or
///   train Dice, in points; train MSE ≤ `fit_mse`, or ≤ `noise_floor` × (1 + `fit`/100));
/// - (c) **budget robustness** (annealed schedules — cosine or step): between two complete schedules of E/2 and E
///   epochs, from a calibration record, the final train metric of the reference and of the `most_regularized`
///   arm moves by at most `budget_margin` (95% interval of the paired change within ±margin). Without a
///   calibration record it is "not measured" and the proxy is not shown to be in regime;
/// - (d) **trainability**: every arm finished on every seed without diverging or stalling;
/// - (e) **settled loss** (constant learning rate): the least-squares fall of the training loss over the last
///   `over` of training has an upper bound ≤ `plateau_loss`.
/// (b), (c) and (e) are the convergence conditions: they apply when the regime asks for convergence (any of
/// `plateau`, `fit`, `fit_mse`, `noise_floor`, `budget_margin`, `most_regularized`, `plateau_loss`). The old rule —
/// the train *accuracy* gained at most `plateau` over the last `over` of the epochs — measured the learning-rate
/// schedule rather than convergence under cosine annealing, and no longer decides anything; `plateau` is still
/// read (it asks for convergence), and the v1 rule stays callable as `evaluatePlateauRule` for comparison.
///
/// Spec form (`claim.regime`):
/// ```yaml
/// regime:
///   reference: {regularizer.rate: 0.0}   # points that must over-fit and fit (default: every point)
///   overfit_gap: 2                       # (a) reference train − test metric, lower bound, at least this
///   fit: 2                               # (b) reference train error, upper bound, at most this (default 2 pt)
///   fit_mse: 0.05                        # (b) for an MSE: train MSE at most this (or noise_floor: 0.09)
///   budget_margin: 1                     # (c) |final train metric(E) − (E/2)|, 95% interval (default 1 pt)
///   most_regularized: {regularizer.rate: 0.8}   # (c) the arm checked beside the reference
///   plateau_loss: 0.01                   # (e) train-loss fall over the last `over` (default 0.01)
///   over: 0.3                            # (e) the window, a fraction of the epochs (default 0.3)
///   plateau: 1                           # v1 key: still accepted, asks for convergence; no longer gates
/// ```
///
/// Defaults, and why:
/// - `fit` 2 pt: the regime of a dropout claim is a net that fits its training set; the audit's reference nets
///   reach 99.3–100% where they are in regime. A bound of 2 on the *upper* interval bound passes a net at 99% with
///   a seed sd of 0.5 pt over 5 seeds (upper bound 1.6) and rejects the 15-epoch nets at 94.5–96%.
/// - `budget_margin` 1 pt: as large as the smaller paper effects the suite tests (0.3–2 pt) would allow, and
///   the old plateau's figure. If doubling the budget moves the final train metric by at most 1 pt and returns
///   diminish in log-budget, E → 2E moves it by about as little. For a train metric that is not a percentage (an
///   MSE) there is no default: state it.
/// - `plateau_loss` 0.01 (loss units): for softmax cross-entropy a misclassified example costs at least ln 2, so
///   train error ≤ loss / ln 2; a fall of 0.01 moves that bound by at most 1.4 pt — the same scale as `fit` and
///   `budget_margin`. State it for other losses (Dice, MSE) in their own units.
/// - `fit_mse`, `noise_floor`, `most_regularized`: no default; a condition that needs one and has none is "not
///   measured", so the proxy is not shown to be in regime and the report says which key to state.
public struct Regime: Sendable, Equatable {
  public var reference: [String: ConfigValue]
  public var overfitGap: Double?
  /// v1's accuracy late-gain threshold: read for compatibility (it asks for convergence), not gated.
  public var plateau: Double?
  public var over: Double
  public var trainMetric: String?
  public var testMetric: String?
  /// (b) bound on the reference's train error in points (default `defaultFit`); for an MSE with `noiseFloor`,
  /// the allowed excess over the noise floor in percent.
  public var fit: Double?
  /// (b) bound on the reference's train MSE, in its own units.
  public var fitMSE: Double?
  /// (b) the regression target's noise variance: the train MSE may exceed it by at most `fit` percent.
  public var noiseFloor: Double?
  /// (c) allowed change of the final train metric between budgets E/2 and E (default `defaultBudgetMargin` for a
  /// percentage).
  public var budgetMargin: Double?
  /// (c) the arm whose budget robustness is checked beside the reference (a point match, like `reference`).
  public var mostRegularized: [String: ConfigValue]
  /// (e) allowed fall of the training loss over the last `over` of training (default `defaultPlateauLoss`).
  public var plateauLoss: Double?

  public static let defaultFit = 2.0
  public static let defaultBudgetMargin = 1.0
  public static let defaultPlateauLoss = 0.01
  /// Eval-mode train loss above this multiple of the training-mode loss marks a method whose evaluation mode
  /// differs from its training mode (Heuristic Dropout and input dropout measured 2×; every other method is below
  /// 1×): its eval-mode train fit is not what it was trained to, so it is not gated on it.
  public static let evalModeMismatchRatio = 1.5

  public init(
    reference: [String: ConfigValue] = [:], overfitGap: Double? = nil, plateau: Double? = nil, over: Double = 0.3,
    trainMetric: String? = nil, testMetric: String? = nil, fit: Double? = nil, fitMSE: Double? = nil,
    noiseFloor: Double? = nil, budgetMargin: Double? = nil, mostRegularized: [String: ConfigValue] = [:],
    plateauLoss: Double? = nil
  ) {
    self.reference = reference
    self.overfitGap = overfitGap
    self.plateau = plateau
    self.over = over
    self.trainMetric = trainMetric
    self.testMetric = testMetric
    self.fit = fit
    self.fitMSE = fitMSE
    self.noiseFloor = noiseFloor
    self.budgetMargin = budgetMargin
    self.mostRegularized = mostRegularized
    self.plateauLoss = plateauLoss
  }

  /// The regime asks for convergence: the conditions (b), (c) and (e) apply.
  public var needsConvergence: Bool {
    plateau != nil || fit != nil || fitMSE != nil || noiseFloor != nil || budgetMargin != nil
      || !mostRegularized.isEmpty || plateauLoss != nil
  }

  static let keys = [
    "reference", "overfit_gap", "plateau", "over", "train_metric", "test_metric", "fit", "fit_mse", "noise_floor",
    "budget_margin", "most_regularized", "plateau_loss",
  ]

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(Self.keys)
    self.init(
      reference: try r.optionalMap("reference") ?? [:], overfitGap: try r.optionalDouble("overfit_gap"),
      plateau: try r.optionalDouble("plateau"), over: try r.optionalDouble("over") ?? 0.3,
      trainMetric: try r.optionalString("train_metric"), testMetric: try r.optionalString("test_metric"),
      fit: try r.optionalDouble("fit"), fitMSE: try r.optionalDouble("fit_mse"),
      noiseFloor: try r.optionalDouble("noise_floor"), budgetMargin: try r.optionalDouble("budget_margin"),
      mostRegularized: try r.optionalMap("most_regularized") ?? [:], plateauLoss: try r.optionalDouble("plateau_loss"))
    if r.map["most_regularized"] != nil, mostRegularized.isEmpty {
      throw r.error(
        "most_regularized", "must name an arm",
        suggestion: "a point match like reference, e.g. most_regularized: {regularizer.rate: 0.8}")
    }
    if overfitGap == nil, !needsConvergence {
      throw r.error(
        "overfit_gap", "a regime needs at least one condition",
        suggestion:
          "state overfit_gap (over-fitting), a convergence key (fit, budget_margin, plateau_loss, plateau) or both")
    }
    if !(over > 0 && over <= 1) {
      throw r.error("over", "must be in (0, 1], got \(Fmt.plain(over))", suggestion: "e.g. over: 0.3")
    }
    if let p = plateau, !(p >= 0) { throw r.error("plateau", "must be ≥ 0, got \(Fmt.plain(p))") }
    if let g = overfitGap, !g.isFinite { throw r.error("overfit_gap", "must be a finite number") }
    if let f = fit, !(f > 0 && f < 100) {
      throw r.error(
        "fit", "must be in (0, 100), the train error allowed in points, got \(Fmt.plain(f))",
        suggestion: "e.g. fit: 2 (train accuracy at least 98% on the 95% bound)")
    }
    if let f = fitMSE, !(f > 0 && f.isFinite) {
      throw r.error("fit_mse", "must be a positive MSE, got \(Fmt.plain(f))", suggestion: "e.g. fit_mse: 0.05")
    }
    if let f = noiseFloor, !(f > 0 && f.isFinite) {
      throw r.error(
        "noise_floor", "must be the target's positive noise variance, got \(Fmt.plain(f))",
        suggestion: "e.g. noise_floor: 0.09 for N(0, 0.3²) noise")
    }
    if fitMSE != nil, noiseFloor != nil {
      throw r.error(
        "fit_mse", "give fit_mse or noise_floor, not both",
        suggestion: "fit_mse is an absolute bound; noise_floor bounds the train MSE at noise_floor × (1 + fit/100)")
    }
    if let m = budgetMargin, !(m > 0 && m.isFinite) {
      throw r.error(
        "budget_margin", "must be positive, got \(Fmt.plain(m))", suggestion: "e.g. budget_margin: 1 (points)")
    }
    if let p = plateauLoss, !(p >= 0 && p.isFinite) {
      throw r.error("plateau_loss", "must be ≥ 0, got \(Fmt.plain(p))", suggestion: "e.g. plateau_loss: 0.01")
    }
    if !mostRegularized.isEmpty, mostRegularized == reference {
      throw r.error(
        "most_regularized", "names the reference itself",
        suggestion: "name the arm with the strongest regularization, which the budget check runs beside the reference")
    }
  }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = ["over": .double(over)]
    if !reference.isEmpty { m["reference"] = .map(reference) }
    if let overfitGap { m["overfit_gap"] = .double(overfitGap) }
    if let plateau { m["plateau"] = .double(plateau) }
    if let trainMetric { m["train_metric"] = .string(trainMetric) }
    if let testMetric { m["test_metric"] = .string(testMetric) }
    if let fit { m["fit"] = .double(fit) }
    if let fitMSE { m["fit_mse"] = .double(fitMSE) }
    if let noiseFloor { m["noise_floor"] = .double(noiseFloor) }
    if let budgetMargin { m["budget_margin"] = .double(budgetMargin) }
    if !mostRegularized.isEmpty { m["most_regularized"] = .map(mostRegularized) }
    if let plateauLoss { m["plateau_loss"] = .double(plateauLoss) }
    return .map(m)
  }
}

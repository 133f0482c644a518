import Foundation

/// The outcome of a claim check on our runs.
public enum Verdict: String, Codable, Sendable, CaseIterable {
  case holds, fails, inconclusive
  /// The proxy is not in the regime the claim is about (it does not over-fit, or has not converged): the check's
  /// outcome says nothing about the paper. See `Regime`.
  case proxyInvalid = "proxy invalid"
  /// The claim cannot be tested at this budget: the design's minimum detectable effect exceeds the paper's effect,
  /// or the proxy lacks a premise of the claim (`Testability`). Never a failure of the paper.
  case notTestable = "not testable"
}

/// One grid point's metric across seeds. Diverged and failed runs are listed, never averaged.
public struct PointSummary: Codable, Sendable, Equatable {
  public var point: GridPoint
  public var metric: String
  /// Seeds that finished with a finite value of the metric.
  public var n: Int
  public var nDiverged: Int
  /// Runs that threw, or finished without a finite value of the metric.
  public var nFailed: Int
  public var values: [Int: Double]
  public var divergedSeeds: [Int]
  public var failedSeeds: [Int]
  /// Mean, sample sd and 95% CI over `values`; nil when there are too few (mean needs 1, the others 2).
  public var mean: Double?
  public var sd: Double?
  public var ciLow: Double?
  public var ciHigh: Double?

  public init(point: GridPoint, metric: String, runs: [RunRecord]) {
    self.point = point
    self.metric = metric
    var values: [Int: Double] = [:]
    var diverged: [Int] = []
    var failed: [Int] = []
    for run in runs {
      switch run.status {
      case .diverged, .stalled: diverged.append(run.seed)
      case .failed: failed.append(run.seed)
      case .ok:
        if let v = metricValue(metric, in: run.final), v.isFinite {
          values[run.seed] = v
        } else {
          failed.append(run.seed)
        }
      }
    }
    self.values = values
    self.divergedSeeds = diverged.sorted()
    self.failedSeeds = failed.sorted()
    self.n = values.count
    self.nDiverged = diverged.count
    self.nFailed = failed.count
    let sample = values.keys.sorted().map { values[$0]! }
    mean = sample.isEmpty ? nil : Statistics.mean(sample)
    sd = Statistics.sampleSD(sample)
    if let mean, let half = Statistics.ciHalfWidth95(sample) {
      ciLow = mean - half
      ciHigh = mean + half
    }
  }

  /// More than half of the point's runs diverged: it ranks below every other point and is never "best".
  public var collapsed: Bool { nDiverged * 2 > n + nDiverged + nFailed }
}

/// A paired comparison of two points (or sets of points) over the seeds finished in both.
/// The difference is signed so that positive favours `a` (the first-named side).
public struct Comparison: Codable, Sendable, Equatable {
  /// Which side the comparison favours at the 5% level.
  public enum Outcome: String, Codable, Sendable {
    case aBetter, bBetter, neither
  }

  /// e.g. "8 vs 0".
  public var label: String
  /// Mean of the per-seed differences (for a variance test: the variance ratio).
  public var meanDiff: Double?
  /// 95% CI of the mean difference.
  public var ciLow: Double?
  public var ciHigh: Double?
  /// Number of paired seeds.
  public var n: Int
  /// Minimum detectable effect at 80% power.
  public var mde: Double?
  public var outcome: Outcome
  /// Why the comparison was decided without numbers (a side diverged) or how a test was run.
  public var note: String?
  /// The per-seed differences behind the numbers (not stored: results keep the runs they come from).
  public var differences: [Double] = []

  enum CodingKeys: String, CodingKey {
    case label, meanDiff, ciLow, ciHigh, n, mde, outcome, note
  }

  public var significant: Bool { outcome != .neither }

  /// Equal in everything that is stored (the per-seed differences are derived from the runs).
  public static func == (lhs: Comparison, rhs: Comparison) -> Bool {
    (lhs.label, lhs.meanDiff, lhs.ciLow, lhs.ciHigh) == (rhs.label, rhs.meanDiff, rhs.ciLow, rhs.ciHigh)
      && (lhs.n, lhs.mde, lhs.outcome, lhs.note) == (rhs.n, rhs.mde, rhs.outcome, rhs.note)
  }

  /// The note of a comparison with no interval because fewer than two seeds pair up (not a decision).
  public static let tooFewSeeds = "fewer than 2 paired seeds"

  public init(
    label: String, meanDiff: Double?, ciLow: Double?, ciHigh: Double?, n: Int, mde: Double?, outcome: Outcome,
    note: String? = nil
  ) {
    self.label = label
    self.meanDiff = meanDiff
    self.ciLow = ciLow
    self.ciHigh = ciHigh
    self.n = n
    self.mde = mde
    self.outcome = outcome
    self.note = note
  }

  /// From per-seed differences: significant when the 95% CI excludes 0.
  init(label: String, differences: [Double]) {
    let n = differences.count
    let mean = n > 0 ? Statistics.mean(differences) : nil
    let sd = Statistics.sampleSD(differences)
    let half = Statistics.ciHalfWidth95(differences)
    var outcome = Outcome.neither
    if let mean, let half {
      if mean - half > 0 { outcome = .aBetter } else if mean + half < 0 { outcome = .bBetter }
    }
    self.init(
      label: label, meanDiff: mean, ciLow: half.flatMap { h in mean.map { $0 - h } },
      ciHigh: half.flatMap { h in mean.map { $0 + h } }, n: n,
      mde: sd.flatMap { Statistics.minimumDetectableEffect(sdDiff: $0, n: n) }, outcome: outcome,
      note: n < 2 ? Self.tooFewSeeds : nil)
    self.differences = differences
  }
}

/// The verdict on a claim with the numbers behind it; stored in results JSON and rendered by reports.
public struct ClaimEvaluation: Codable, Sendable, Equatable {
  public var verdict: Verdict
  /// One or two plain sentences with the numbers, ending with which runs were excluded and why.
  public var explanation: String
  /// The metric (several joined by ", " for `all`).
  public var metric: String
  /// Which part this is: the group (`dataset.name=mnist-5k`) for `by`, the sub-check kind for `all`; "" at the top.
  public var label: String
  public var summaries: [PointSummary]
  public var comparisons: [Comparison]
  /// Sub-evaluations of `all` and `by`.
  public var parts: [ClaimEvaluation]
  /// P-value of this check's "fails" test (Holm-adjusted for `all` and `by`); nil when it has none.
  public var pFails: Double?
  /// The claim's regime as measured on the runs, when the spec states one.
  public var regime: RegimeReport?
  /// What the check alone says, when the regime gate replaced it with `proxy invalid`.
  public var checkVerdict: Verdict?
  /// The minimum detectable effect beside the paper's, when the spec states a paper effect or a missing premise.
  public var testability: TestabilityReport?

  public init(
    verdict: Verdict, explanation: String, metric: String, label: String = "", summaries: [PointSummary] = [],
    comparisons: [Comparison] = [], parts: [ClaimEvaluation] = [], pFails: Double? = nil
  ) {
    self.verdict = verdict
    self.explanation = explanation
    self.metric = metric
    self.label = label
    self.summaries = summaries
    self.comparisons = comparisons
    self.parts = parts
    self.pFails = pFails
  }
}

/// The value of a final metric. Accuracies, errors, Dice and IoU are percentages (0–100); `test_error` is
/// derived as 100 − `test_accuracy` when a run did not record it, `train_test_gap` as train − test accuracy,
/// `mse_gap` as test − train mean squared error.
public func metricValue(_ metric: String, in final: [String: Double]) -> Double? {
  if let v = final[metric] { return v }
  if metric == "mse_gap", let train = final["train_mse"], let test = final["mse"] { return test - train }
  if metric == "test_error", let accuracy = final["test_accuracy"] { return 100 - accuracy }
  if metric == "train_test_gap", let train = final["train_accuracy"], let test = final["test_accuracy"] {
    return train - test
  }
  return nil
}


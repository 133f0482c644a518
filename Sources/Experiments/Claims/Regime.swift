import Foundation

/// The regime a claim is about, checked before its verdict counts. A dropout claim is about nets that over-fit and
/// have been trained to convergence; on a proxy that is under-trained or does not over-fit, `fails` would be built
/// in, so the verdict is `proxy invalid` with the figures instead.
///
/// The regime must be *shown*, by the same standard as a claim: each condition is decided on the 95% interval of
/// its per-seed values, not on their mean. A reference point over-fits when the interval's lower bound of
/// train − test is at least `overfit_gap`; a point has converged when the upper bound of its late gain is at most
/// `plateau`. All conditions must be shown (an intersection–union test, so no correction across points is needed);
/// a condition whose interval straddles its threshold is "not shown" and, like one shown to fail, leaves the proxy
/// invalid. Deciding on the mean let a verdict flip with the seed count when a mean sat on the threshold (a late
/// gain of 1.02 pt against 1 pt at 15 seeds, 0.98 at 20); with intervals, more seeds can only resolve an unshown
/// condition, never flip a shown one by chance more often than 2.5%. One seed shows nothing.
///
/// Spec form (`claim.regime`):
/// ```yaml
/// regime:
///   reference: {regularizer.rate: 0.0}   # points that must over-fit (default: every point)
///   overfit_gap: 2                       # their mean train − test metric, in points, at least this
///   plateau: 1                           # every point: train metric gained at most this over the last `over`
///   over: 0.3                            #   of its epochs (default 0.3), mean over seeds
/// ```
/// The train/test metric pair is `train_accuracy`/`test_accuracy` for classifiers and `train_dice`/`dice` for
/// segmentation (from what the runs recorded), or `train_metric`/`test_metric`.
public struct Regime: Sendable, Equatable {
  public var reference: [String: ConfigValue]
  public var overfitGap: Double?
  public var plateau: Double?
  public var over: Double
  public var trainMetric: String?
  public var testMetric: String?

  public init(
    reference: [String: ConfigValue] = [:], overfitGap: Double? = nil, plateau: Double? = nil, over: Double = 0.3,
    trainMetric: String? = nil, testMetric: String? = nil
  ) {
    self.reference = reference
    self.overfitGap = overfitGap
    self.plateau = plateau
    self.over = over
    self.trainMetric = trainMetric
    self.testMetric = testMetric
  }

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(["reference", "overfit_gap", "plateau", "over", "train_metric", "test_metric"])
    self.init(
      reference: try r.optionalMap("reference") ?? [:], overfitGap: try r.optionalDouble("overfit_gap"),
      plateau: try r.optionalDouble("plateau"), over: try r.optionalDouble("over") ?? 0.3,
      trainMetric: try r.optionalString("train_metric"), testMetric: try r.optionalString("test_metric"))
    if overfitGap == nil, plateau == nil {
      throw r.error("overfit_gap", "a regime needs overfit_gap, plateau or both")
    }
    if !(over > 0 && over <= 1) { throw r.error("over", "must be in (0, 1], got \(formatNumber(over))") }
    if let p = plateau, !(p >= 0) { throw r.error("plateau", "must be ≥ 0, got \(formatNumber(p))") }
  }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = ["over": .double(over)]
    if !reference.isEmpty { m["reference"] = .map(reference) }
    if let overfitGap { m["overfit_gap"] = .double(overfitGap) }
    if let plateau { m["plateau"] = .double(plateau) }
    if let trainMetric { m["train_metric"] = .string(trainMetric) }
    if let testMetric { m["test_metric"] = .string(testMetric) }
    return .map(m)
  }
}

/// What the regime gate measured: per point, the train and test metric, their gap, and the late gain of the train
/// metric; whether each condition is met.
public struct RegimeReport: Codable, Sendable, Equatable {
  public struct Row: Codable, Sendable, Equatable {
    public var label: String
    public var isReference: Bool
    /// Runs of the point that finished (not diverged, stalled or failed); nil in results from before it was kept.
    public var finished: Int?
    public var train: Double?
    public var test: Double?
    /// Mean over finished seeds of (train metric at the end − train metric `over` of the epochs earlier).
    public var lateGain: Double?
    /// 95% interval of the late gain over seeds (nil with fewer than two seeds).
    public var lateGainLow: Double?
    public var lateGainHigh: Double?
    /// 95% interval of the per-seed train − test gap (nil with fewer than two seeds).
    public var gapLow: Double?
    public var gapHigh: Double?
    /// Reference points: shown to over-fit (the gap's lower bound reaches `overfitGap`); nil elsewhere.
    public var overfits: Bool?
    /// Shown to have converged (the late gain's upper bound is within `plateau`).
    public var converged: Bool?

    /// The gap is shown to fall short: even its upper bound is below `overfitGap`.
    public func shownNotToOverfit(_ overfitGap: Double) -> Bool { gapHigh.map { $0 < overfitGap } ?? false }
    /// Still rising: even the late gain's lower bound exceeds `plateau`.
    public func shownStillRising(_ plateau: Double) -> Bool { lateGainLow.map { $0 > plateau } ?? false }
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
}

extension Regime {
  /// Measures the regime on the runs of `points`. Diverged, stalled and failed runs are left out (the check
  /// already lists them).
  public func evaluate(points: [GridPoint], runs: [RunRecord]) -> RegimeReport {
    let finished = runs.filter { $0.status == .ok }
    let pair = FitMetricPair.recorded(in: finished.map(\.final))
    let train = trainMetric ?? pair.train
    let test = testMetric ?? pair.test
    // Gaps and gains are measured in the metric's better direction: for an error such as the MSE, over-fitting is
    // test − train and progress is a fall.
    let better: Double = naturalGoal(of: train) == .min ? -1 : 1
    // Words and units that follow the metric: "pt" for percentages only; an error falls where an accuracy rises.
    let testUnit = isPercentMetric(test) ? " pt" : ""
    let trainUnit = isPercentMetric(train) ? " pt" : ""
    let (rose, rise) = better > 0 ? ("rose", "rise") : ("fell", "fall")
    var byPoint: [[String: ConfigValue]: [RunRecord]] = [:]
    for run in finished { byPoint[run.point, default: []].append(run) }
    var rows: [RegimeReport.Row] = []
    for point in points {
      let pointRuns = byPoint[point.coordinates] ?? []
      let isReference = reference.isEmpty || point.matches(reference)
      func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : Statistics.mean(values) }
      let trainMean = mean(pointRuns.compactMap { $0.final[train] })
      let testMean = mean(pointRuns.compactMap { metricValue(test, in: $0.final) })
      let gains = pointRuns.compactMap { lateGain($0, metric: train).map { better * $0 } }
      let gaps = pointRuns.compactMap { r in
        r.final[train].flatMap { a in metricValue(test, in: r.final).map { better * (a - $0) } }
      }
      var row = RegimeReport.Row(
        label: point.label, isReference: isReference, finished: pointRuns.count, train: trainMean, test: testMean,
        lateGain: mean(gains))
      (row.lateGainLow, row.lateGainHigh) = Self.interval(gains)
      (row.gapLow, row.gapHigh) = Self.interval(gaps)
      if let overfitGap, isReference { row.overfits = row.gapLow.map { $0 >= overfitGap } ?? false }
      if let plateau { row.converged = row.lateGainHigh.map { $0 <= plateau } ?? false }
      rows.append(row)
    }
    var problems: [String] = []
    if let overfitGap {
      let reference = rows.filter(\.isReference)
      if reference.isEmpty {
        problems.append("no point matches the regime's reference")
      }
      let short = reference.filter { $0.shownNotToOverfit(overfitGap) }
      let unshown = reference.filter {
        $0.overfits != true && !$0.shownNotToOverfit(overfitGap) && $0.finished != 0
      }
      func list(_ rows: [RegimeReport.Row]) -> String {
        rows.prefix(4).map { "\($0.label): \(gapText($0, better: better))" }.joined(separator: "; ") + (rows.count > 4 ? "; …" : "")
      }
      if !short.isEmpty {
        problems.append(
          "\(short.count) of \(reference.count) reference point\(reference.count == 1 ? "" : "s") do not over-fit "
            + "(\(better > 0 ? "train − test" : "test − train") \(shortName(test)) below \(formatNumber(overfitGap))\(testUnit): \(list(short)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(unshown.count) of \(reference.count) reference point\(reference.count == 1 ? " is" : "s are") not shown "
            + "to over-fit (the 95% interval of \(better > 0 ? "train − test" : "test − train") \(shortName(test)) reaches below "
            + "\(formatNumber(overfitGap))\(testUnit): \(list(unshown)))")
      }
    }
    // A point with no finished run did not train at all: say so rather than "not shown to have converged".
    let untrained = rows.filter { $0.finished == 0 }
    if !untrained.isEmpty {
      problems.append(
        "\(untrained.count) point\(untrained.count == 1 ? " has" : "s have") no finished run (every run diverged or "
          + "stalled): " + untrained.prefix(4).map(\.label).joined(separator: "; ") + (untrained.count > 4 ? "; …" : ""))
    }
    if let plateau {
      let window = "over the last \(Int((over * 100).rounded()))% of training"
      let moving = rows.filter { $0.shownStillRising(plateau) }
      let unshown = rows.filter { $0.converged != true && !$0.shownStillRising(plateau) && $0.finished != 0 }
      func list(_ rows: [RegimeReport.Row]) -> String {
        rows.prefix(4).map { "\($0.label): \(gainText($0))" }.joined(separator: "; ") + (rows.count > 4 ? "; …" : "")
      }
      if !moving.isEmpty {
        problems.append(
          "\(moving.count) point\(moving.count == 1 ? " has" : "s have") not converged (\(train) still \(rose) by more "
            + "than \(formatNumber(plateau))\(trainUnit) \(window): \(list(moving)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(unshown.count) point\(unshown.count == 1 ? " is" : "s are") not shown to have converged (the 95% "
            + "interval of \(train)'s \(rise) \(window) reaches above \(formatNumber(plateau))\(trainUnit): \(list(unshown)))")
      }
    }
    let met = problems.isEmpty
    let summary =
      met
      ? "Regime met: "
        + [
          overfitGap.map {
            "every reference point over-fits by at least \(formatNumber($0))\(testUnit) "
              + "(\(better > 0 ? "train − test" : "test − train"), 95% lower bound)"
          },
          plateau.map {
            "every point's \(train) \(rose) by at most \(formatNumber($0))\(trainUnit) over the last "
              + "\(Int((over * 100).rounded()))% of training (95% upper bound)"
          },
        ].compactMap { $0 }.joined(separator: "; ") + "."
      : "Regime not met: " + problems.joined(separator: "; ") + "."
    return RegimeReport(
      trainMetric: train, testMetric: test, overfitGap: overfitGap, plateau: plateau, over: over, rows: rows, met: met,
      summary: summary)
  }

  private func gapText(_ r: RegimeReport.Row, better: Double) -> String {
    guard let a = r.train, let b = r.test else { return "no finished runs" }
    let (first, second) = better > 0 ? (a, b) : (b, a)
    return String(format: "%.2f − %.2f = %.2f", first, second, first - second) + intervalText(r.gapLow, r.gapHigh)
  }

  private func gainText(_ r: RegimeReport.Row) -> String {
    guard let g = r.lateGain else { return "no late gain recorded" }
    return (g >= 0 ? "+" : "") + String(format: "%.2f", g) + intervalText(r.lateGainLow, r.lateGainHigh)
  }

  private func intervalText(_ low: Double?, _ high: Double?) -> String {
    guard let low, let high else { return " (1 seed: no interval)" }
    return String(format: " [%.2f, %.2f]", low, high)
  }

  /// The 95% t interval of the mean of `values`; nil bounds with fewer than two values.
  static func interval(_ values: [Double]) -> (Double?, Double?) {
    guard let half = Statistics.ciHalfWidth95(values) else { return (nil, nil) }
    let m = Statistics.mean(values)
    return (m - half, m + half)
  }

  /// Train metric at the last evaluation minus its value at the last evaluation at or before `over` of the epochs
  /// from the end; nil with fewer than two evaluations that recorded it.
  func lateGain(_ run: RunRecord, metric: String) -> Double? {
    let recorded = run.epochs.compactMap { e in e.metrics[metric].map { (e.epoch, $0) } }
    guard recorded.count >= 2, let last = recorded.last else { return nil }
    let start = Double(last.0) * (1 - over)
    let earlier = recorded.last { Double($0.0) <= start } ?? recorded.first!
    return earlier.0 == last.0 ? nil : last.1 - earlier.1
  }
}

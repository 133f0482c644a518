import Foundation
import NumberFormat

extension Regime {
  /// The v1 rule (the gate before regime rule v2): over-fitting of the reference as in v2, and convergence as the
  /// *accuracy plateau* — every point's train metric gained at most `plateau` over the last `over` of the epochs
  /// (95% upper bound). Under a cosine schedule annealed to zero that quantity is the annealing gain, whatever the
  /// budget (docs/convergence-rule.md); the gate no longer calls this. It is kept, unchanged, so the simulation in
  /// `ConvergenceSimulationTests` can show where it fails. Diverged, stalled and failed runs are left out.
  public func evaluatePlateauRule(points: [GridPoint], runs: [RunRecord]) -> RegimeReport {
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
            + "(\(better > 0 ? "train − test" : "test − train") \(shortName(test)) below \(Fmt.plain(overfitGap))\(testUnit): \(list(short)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(unshown.count) of \(reference.count) reference point\(reference.count == 1 ? " is" : "s are") not shown "
            + "to over-fit (the 95% interval of \(better > 0 ? "train − test" : "test − train") \(shortName(test)) reaches below "
            + "\(Fmt.plain(overfitGap))\(testUnit): \(list(unshown)))")
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
            + "than \(Fmt.plain(plateau))\(trainUnit) \(window): \(list(moving)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(unshown.count) point\(unshown.count == 1 ? " is" : "s are") not shown to have converged (the 95% "
            + "interval of \(train)'s \(rise) \(window) reaches above \(Fmt.plain(plateau))\(trainUnit): \(list(unshown)))")
      }
    }
    let met = problems.isEmpty
    let summary =
      met
      ? "Regime met: "
        + [
          overfitGap.map {
            "every reference point over-fits by at least \(Fmt.plain($0))\(testUnit) "
              + "(\(better > 0 ? "train − test" : "test − train"), 95% lower bound)"
          },
          plateau.map {
            "every point's \(train) \(rose) by at most \(Fmt.plain($0))\(trainUnit) over the last "
              + "\(Int((over * 100).rounded()))% of training (95% upper bound)"
          },
        ].compactMap { $0 }.joined(separator: "; ") + "."
      : "Regime not met: " + problems.joined(separator: "; ") + "."
    return RegimeReport(
      trainMetric: train, testMetric: test, overfitGap: overfitGap, plateau: plateau, over: over, rows: rows, met: met,
      summary: summary)
  }

  func gapText(_ r: RegimeReport.Row, better: Double) -> String {
    guard let a = r.train, let b = r.test else { return "no finished runs" }
    let (first, second) = better > 0 ? (a, b) : (b, a)
    return "\(Fmt.decimals(first, 2)) − \(Fmt.decimals(second, 2)) = \(Fmt.decimals(first - second, 2))" + intervalText(r.gapLow, r.gapHigh)
  }

  func gainText(_ r: RegimeReport.Row) -> String {
    guard let g = r.lateGain else { return "no late gain recorded" }
    return (g >= 0 ? "+" : "") + Fmt.decimals(g, 2) + intervalText(r.lateGainLow, r.lateGainHigh)
  }

  func intervalText(_ low: Double?, _ high: Double?) -> String {
    guard let low, let high else { return " (1 seed: no interval)" }
    return " [\(Fmt.decimals(low, 2)), \(Fmt.decimals(high, 2))]"
  }

  /// The 95% t interval of the mean of `values`; nil bounds with fewer than two values.
  static func interval(_ values: [Double], level: Double = 0.95) -> (Double?, Double?) {
    guard let half = Statistics.ciHalfWidth(values, level: level) else { return (nil, nil) }
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

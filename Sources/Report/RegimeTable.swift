import Experiments
import Foundation

/// The regime table of a report measured by regime rule v2 or v3: per point the train and test metric, the gap, and
/// one column per condition that applies — (b) the reference's train error, (c) the E/2 → E budget change
/// (annealed schedules) or (e) the training loss's late fall (constant learning rate) — with a mark for each, and
/// (d) whether every seed trained.
extension ExperimentPage {
  static func regimeTableV2(_ regime: RegimeReport, names: [String]) -> String {
    let train = regime.trainMetric
    let test = regime.testMetric
    let lowerIsBetter = naturalGoal(of: train) == .min
    let trainPercent = isPercentMetric(train)
    let annealed = regime.rows.contains { $0.schedule != nil && $0.schedule != "constant" }
    let constant = regime.rows.contains { $0.schedule == "constant" }
    let convergence = regime.rows.contains { $0.converged != nil || $0.fitNote != nil }
    let decimals = Fmt.decimals(for: train)
    func interval(_ low: Double?, _ high: Double?, _ d: Int, signed: Bool = true) -> String {
      guard let low, let high else { return "" }
      func f(_ x: Double) -> String { signed ? Fmt.signed(x, d) : Fmt.fixed(x, d) }
      return " [\(f(low)), \(f(high))]"
    }
    // ✓ shown, ✗ shown not to hold, ? not shown either way (or not measured), – does not apply.
    func mark(_ shown: Bool?, refuted: Bool) -> String { shown.map { $0 ? "✓" : refuted ? "✗" : "?" } ?? "–" }
    var header = ["point", "`\(train)`", "`\(test)`", "gap (\(lowerIsBetter ? "test − train" : "train − test"))"]
    if convergence { header.append(trainPercent ? "train error" : "`\(train)` (fit)") }
    if convergence && annealed { header.append("final `\(train)`, E/2 → E") }
    if convergence && constant { header.append("train-loss fall") }
    let numeric = header.count - 1
    header += ["over-fits"] + (convergence ? ["fits", "converged"] : []) + ["trains"]
    var s = "| " + header.joined(separator: " | ") + " |\n"
    s +=
      "|---|" + String(repeating: "--:|", count: numeric) + String(repeating: ":-:|", count: header.count - 1 - numeric)
      + "\n"
    for (i, row) in regime.rows.enumerated() {
      var gap = "–"
      if let a = row.train, let b = row.test {
        gap =
          Fmt.signed(lowerIsBetter ? b - a : a - b, Fmt.decimals(for: test))
          + interval(row.gapLow, row.gapHigh, Fmt.decimals(for: test))
      }
      let label = names[i] + (row.isReference && regime.overfitGap != nil ? " (reference)" : "")
      var cells = [
        Fmt.cell(label), row.train.map { Fmt.metric($0, train) } ?? "–", row.test.map { Fmt.metric($0, test) } ?? "–",
        gap,
      ]
      let isAnnealed = row.schedule != "constant"
      if convergence {
        let fit = row.fitError.map {
          Fmt.fixed($0, decimals) + interval(row.fitLow, row.fitHigh, decimals, signed: false)
        }
        cells.append(row.isReference ? fit ?? "–" : "–")
        if annealed {
          let change = row.budgetChange.map {
            Fmt.signed($0, decimals) + interval(row.budgetLow, row.budgetHigh, decimals)
          }
          cells.append(isAnnealed ? (change ?? row.budgetNote.map(Fmt.cell) ?? "–") : "–")
        }
        if constant {
          let fall = row.lossFall.map { Fmt.signed($0, 4) + interval(row.lossFallLow, row.lossFallHigh, 4) }
          cells.append(isAnnealed ? "–" : fall ?? (row.lossSettled == false ? "not measured" : "–"))
        }
      }
      cells.append(mark(row.overfits, refuted: regime.overfitGap.map { row.shownNotToOverfit($0) } ?? false))
      if convergence {
        let fitsMark =
          row.isReference && row.fits == nil && row.fitNote != nil
          ? "exempt" : mark(row.fits, refuted: regime.fitBound.map { row.shownNotToFit($0) } ?? false)
        let refuted =
          (regime.budgetMargin.map { row.shownBudgetSensitive($0) } ?? false)
          || (regime.plateauLoss.map { row.shownLossFalling($0) } ?? false)
        cells += [fitsMark, mark(row.converged, refuted: refuted)]
      }
      let total = (row.untrained ?? 0) + (row.finished ?? 0)
      cells.append(row.trains ? "✓" : "✗ (\(row.untrained ?? 0) of \(total) diverged or stalled)")
      s += "| " + cells.joined(separator: " | ") + " |\n"
    }
    return s + "\n" + legend(regime, annealed: annealed && convergence, constant: constant && convergence) + "\n\n"
  }

  private static func legend(_ regime: RegimeReport, annealed: Bool, constant: Bool) -> String {
    let train = regime.trainMetric
    let lowerIsBetter = naturalGoal(of: train) == .min
    let unit = isPercentMetric(train) ? " pt" : ""
    var legend = [
      "Means over the finished seeds, with 95% intervals over seeds (regime rule v4, docs/convergence-rule.md)."
    ]
    if let gap = regime.overfitGap {
      legend.append(
        "A reference point over-fits when the lower bound of \(lowerIsBetter ? "test − train" : "train − test") is at "
          + "least \(Fmt.axis(gap))\(isPercentMetric(regime.testMetric) ? " pt" : "") (other points: –).")
    }
    if let bound = regime.fitBound {
      legend.append(
        (isPercentMetric(train)
          ? "Train error: 100 − `\(train)` of a reference point; it fits (near interpolation) when the upper bound is "
          : "A reference point fits when the upper bound of its `\(train)` is ")
          + "at most \(Fmt.axis(bound))\(unit); a method whose eval-mode train loss exceeds "
          + "\(Fmt.axis(Regime.evalModeMismatchRatio))× its training-mode loss is exempt (its evaluation differs from "
          + "its training).")
    }
    if annealed {
      let margin = regime.budgetMargin.map { "±\(Fmt.axis($0))\(unit)" } ?? "a stated budget_margin"
      let bases = Set(regime.rows.compactMap(\.budgetMetric))
      let basis = bases.isEmpty ? "`\(train)`" : bases.sorted().map { "`\($0)`" }.joined(separator: " / ")
      let heldOut = bases.contains { $0.hasPrefix("heldout_") }
      legend.append(
        "Annealed schedules: final \(basis) after a complete schedule of E epochs minus after one of E/2 (the "
          + "reference and the most-regularized arm, from a calibration record, paired over its seeds"
          + (heldOut ? "; held-out: images of the training pool the subset leaves out, never the test split" : "")
          + "); converged when its 90% interval (two one-sided tests at 5%) lies within \(margin). Without a calibration record it is not measured, "
          + "and the proxy is not shown to be in regime.")
    }
    if constant, let bound = regime.plateauLoss {
      legend.append(
        "Constant learning rate: the least-squares fall of the training loss over the last "
          + "\(Int((regime.over * 100).rounded()))% of the epochs; converged when its upper bound is at most "
          + "\(Fmt.axis(bound)).")
    }
    legend.append("Trains: every seed finished without diverging or stalling.")
    legend.append(
      "✓ shown, ✗ shown not to hold, ? not shown either way (the interval straddles the threshold, or the condition "
        + "was not measured: the regime is not shown, so the proxy counts as invalid), – does not apply.")
    return legend.joined(separator: " ")
  }
}

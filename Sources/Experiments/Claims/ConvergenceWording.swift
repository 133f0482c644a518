import Foundation
import NumberFormat

/// The sentences of a regime report (rule v2, and v3 with its held-out budget condition): what failed, with the numbers, in the order (a) over-fitting,
/// (d) trainability, (b) fit, (c) budget robustness, (e) settled loss; or what was shown.
struct ConvergenceWording {
  let regime: Regime
  let train: String
  let test: String
  let better: Double
  let fitBound: Double?
  let margin: Double?
  let lossBound: Double
  let calibration: CalibrationRecord?
  let points: [GridPoint]

  var percent: Bool { isPercentMetric(train) }
  var trainUnit: String { percent ? " pt" : "" }
  var testUnit: String { isPercentMetric(test) ? " pt" : "" }
  var gapName: String { better > 0 ? "train − test" : "test − train" }
  var errorName: String { percent ? "train error (100 − \(train))" : train }
  var window: String { "over the last \(Int((regime.over * 100).rounded()))% of training" }

  func number(_ v: Double, percent: Bool) -> String {
    percent ? Fmt.decimals(v, 2) : Fmt.significant(v, 3)
  }

  /// A threshold as stated ("2", "0.01"), without binary noise ("0.0918", not "0.09180000000000001").
  func threshold(_ x: Double) -> String { x == x.rounded() ? Fmt.plain(x) : Fmt.significant(x, 4) }

  func signed(_ v: Double, percent: Bool) -> String { (v >= 0 ? "+" : "") + number(v, percent: percent) }

  func interval(_ low: Double?, _ high: Double?, percent: Bool) -> String {
    guard let low, let high else { return " (1 seed: no interval)" }
    return " [\(number(low, percent: percent)), \(number(high, percent: percent))]"
  }

  func list(_ rows: [RegimeReport.Row], _ text: (RegimeReport.Row) -> String) -> String {
    rows.prefix(4).map { "\($0.label): \(text($0))" }.joined(separator: "; ") + (rows.count > 4 ? "; …" : "")
  }

  func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

  func problems(_ rows: [RegimeReport.Row], annealed: Bool) -> [String] {
    var problems: [String] = []
    // (a) over-fitting of the reference, as v1 words it.
    if let gap = regime.overfitGap {
      let reference = rows.filter(\.isReference)
      if reference.isEmpty { problems.append("no point matches the regime's reference") }
      let short = reference.filter { $0.shownNotToOverfit(gap) }
      let unshown = reference.filter { $0.overfits != true && !$0.shownNotToOverfit(gap) && $0.finished != 0 }
      func gapText(_ r: RegimeReport.Row) -> String {
        guard let a = r.train, let b = r.test else { return "no finished runs" }
        let (first, second) = better > 0 ? (a, b) : (b, a)
        return "\(Fmt.decimals(first, 2)) − \(Fmt.decimals(second, 2)) = \(Fmt.decimals(first - second, 2))"
          + interval(r.gapLow, r.gapHigh, percent: true)
      }
      if !short.isEmpty {
        problems.append(
          "\(short.count) of \(plural(reference.count, "reference point", "reference points")) do not over-fit "
            + "(\(gapName) \(shortName(test)) below \(Fmt.plain(gap))\(testUnit): \(list(short, gapText)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(unshown.count) of \(reference.count) reference point\(reference.count == 1 ? " is" : "s are") not shown "
            + "to over-fit (the 95% interval of \(gapName) \(shortName(test)) reaches below "
            + "\(Fmt.plain(gap))\(testUnit): \(list(unshown, gapText)))")
      }
    }
    // (d) trainability.
    let untrainable = rows.filter { !$0.trains }
    if !untrainable.isEmpty {
      problems.append(
        "\(plural(untrainable.count, "point", "points")) did not train on every seed: "
          + list(untrainable) { r in
            r.finished == 0
              ? "no finished run"
              : "\(r.untrained ?? 0) of \((r.untrained ?? 0) + (r.finished ?? 0)) runs diverged or stalled"
          })
    }
    guard regime.needsConvergence else { return problems }
    // (b) near-interpolation of the reference.
    let fitRows = rows.filter { $0.isReference && $0.fits == false && $0.finished != 0 }
    if let bound = fitBound {
      func fitText(_ r: RegimeReport.Row) -> String {
        guard let e = r.fitError else { return "no \(train) recorded" }
        return number(e, percent: percent) + interval(r.fitLow, r.fitHigh, percent: percent)
      }
      let far = fitRows.filter { $0.shownNotToFit(bound) }
      let unshown = fitRows.filter { !$0.shownNotToFit(bound) }
      let limit = "\(threshold(bound))\(trainUnit)"
      if !far.isEmpty {
        problems.append(
          "\(plural(far.count, "reference point does", "reference points do")) not fit the training set "
            + "(\(errorName) above \(limit): \(list(far, fitText)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(plural(unshown.count, "reference point is", "reference points are")) not shown near interpolation "
            + "(the 95% interval of \(errorName) reaches above \(limit): \(list(unshown, fitText)))")
      }
    } else if let note = fitRows.compactMap(\.fitNote).first {
      problems.append(note)
    }
    // (c) budget robustness.
    let budgetRows = rows.filter { $0.budgetRobust == false && $0.finished != 0 }
    let unmeasured = budgetRows.filter { $0.budgetNote != nil }
    if calibration == nil, !unmeasured.isEmpty {
      problems.append(
        Regime.noCalibration + " (it needs the final held-out score of the reference and the most-regularized arm "
          + "after complete schedules of E/2 and E epochs)")
    } else if !unmeasured.isEmpty {
      problems.append(list(unmeasured) { $0.budgetNote! })
    }
    if let margin {
      let measured = budgetRows.filter { $0.budgetNote == nil }
      func changeText(_ r: RegimeReport.Row) -> String {
        signed(r.budgetChange ?? 0, percent: percent) + interval(r.budgetLow, r.budgetHigh, percent: percent)
      }
      // What the change was measured on: the held-out metric, or the train metric where a pilot has no held-out
      // score; named once when every arm shares it.
      let bases = Set(measured.compactMap(\.budgetMetric))
      let basis = bases.count == 1 ? bases.first! : bases.isEmpty ? train : bases.sorted().joined(separator: " / ")
      let moving = measured.filter { $0.shownBudgetSensitive(margin) }
      let unshown = measured.filter { !$0.shownBudgetSensitive(margin) }
      let limit = "\(threshold(margin))\(trainUnit)"
      if !moving.isEmpty {
        problems.append(
          "\(plural(moving.count, "arm moves", "arms move")) with the budget (final \(basis) changed by more than "
            + "\(limit) from E/2 to E epochs: \(list(moving, changeText)))")
      }
      if !unshown.isEmpty {
        problems.append(
          "\(plural(unshown.count, "arm is", "arms are")) not shown budget robust (the 90% interval of the E/2 → E "
            + "change of final \(basis) reaches beyond ±\(limit): \(list(unshown, changeText)))")
      }
    }
    if annealed, !regime.mostRegularized.isEmpty, !points.contains(where: { $0.matches(regime.mostRegularized) }) {
      problems.append("no point matches the regime's most_regularized")
    } else if annealed, calibration != nil, regime.mostRegularized.isEmpty, rows.contains(where: { !$0.isReference }) {
      problems.append("budget robustness of the regularized arms not measured — the regime names no most_regularized")
    }
    // (e) settled training loss (constant learning rate).
    let lossRows = rows.filter { $0.lossSettled == false && $0.finished != 0 }
    func lossText(_ r: RegimeReport.Row) -> String {
      guard let f = r.lossFall else { return "fewer than three evaluations" }
      return signed(f, percent: false) + interval(r.lossFallLow, r.lossFallHigh, percent: false)
    }
    let falling = lossRows.filter { $0.shownLossFalling(lossBound) }
    let unsettled = lossRows.filter { !$0.shownLossFalling(lossBound) }
    let limit = threshold(lossBound)
    if !falling.isEmpty {
      problems.append(
        "\(plural(falling.count, "point has", "points have")) not converged (train loss still fell by more than "
          + "\(limit) \(window), least squares over evaluations: \(list(falling, lossText)))")
    }
    if !unsettled.isEmpty {
      problems.append(
        "\(plural(unsettled.count, "point is", "points are")) not shown to have converged (the 95% interval of the "
          + "train loss's fall \(window) reaches above \(limit): \(list(unsettled, lossText)))")
    }
    return problems
  }

  func metSummary(annealed: Bool, constant: Bool) -> String {
    var parts: [String] = []
    if let gap = regime.overfitGap {
      parts.append(
        "every reference point over-fits by at least \(Fmt.plain(gap))\(testUnit) (\(gapName), 95% lower bound)")
    }
    if regime.needsConvergence, let bound = fitBound {
      parts.append(
        "every reference point fits its training set (\(errorName) at most \(threshold(bound))"
          + "\(trainUnit), 95% upper bound)")
    }
    if annealed, let margin {
      parts.append(
        "the final \(calibration?.heldOutMetric ?? train) of the reference and the most-regularized arm moves by at most "
          + "\(threshold(margin))\(trainUnit) between complete schedules of E/2 and E epochs (90% interval: an equivalence test at 5%)")
    }
    if constant {
      parts.append(
        "every point's train loss fell by at most \(threshold(lossBound)) \(window) (least squares, "
          + "95% upper bound)")
    }
    parts.append("every point trained on every seed")
    return "Regime met: " + parts.joined(separator: "; ") + "."
  }

  /// Points exempt from the fit condition, or read on another metric: said after the verdict sentence.
  func exemptions(_ rows: [RegimeReport.Row]) -> String {
    let noted = rows.filter { $0.isReference && ($0.fits == nil || $0.fitNote?.hasPrefix("fit read on") == true) }
      .filter { $0.fitNote != nil }
    guard !noted.isEmpty else { return "" }
    return " " + noted.map { "\($0.label): \($0.fitNote!)." }.joined(separator: " ")
  }
}

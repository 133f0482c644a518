import Experiments
import Foundation

/// The parts of an experiment page that put the verdict in context: the paper's effect beside ours, the regime
/// the claim needs (and whether the proxy is in it), and how much the fixed test set itself could move the numbers.
extension ExperimentPage {
  /// At most this many of our comparisons beside the paper's effect; the Comparisons table has them all.
  static let maxEffectRows = 8

  /// "Paper beside ours": the paper's effect (`paper.effect`, else `paper.result`) and ours, the verdict's paired
  /// differences with their 95% intervals (or, for a check without intervals, the best point per series), so a
  /// reader can set the sizes side by side and not only the verdicts.
  static func paperBesideOurs(_ results: ExperimentResults) -> String {
    let paper = results.spec.paper
    var s = "### Paper beside ours\n\n| | effect |\n|---|---|\n"
    let source = "paper" + (paper.where.map { " (\($0))" } ?? "")
    s += "| \(Fmt.cell(source)) | \(Fmt.cell(paper.effect ?? paper.result ?? "not stated")) |\n"
    let ours = ourEffects(results.verdict)
    if ours.isEmpty {
      s += "| ours | \(Fmt.cell(VerdictTable.ours(results))) |\n"
    } else {
      for (label, effect) in ours.prefix(maxEffectRows) { s += "| ours, \(Fmt.cell(label)) | \(effect) |\n" }
      if ours.count > maxEffectRows { s += "| ours | \(ours.count - maxEffectRows) more under Comparisons |\n" }
    }
    s += "\n" + testabilityLines(results)
    if results.verdict.verdict == .proxyInvalid {
      let why =
        results.verdict.regime.map { $0.met ? "a compared arm does not train at these settings" : "see Regime below" }
        ?? "a compared arm does not train at these settings"
      s += "Our numbers come from a proxy outside the claim's regime (\(why)): they describe the proxy, "
      s += "not the paper's effect.\n\n"
    }
    return s
  }

  /// The design's minimum detectable effect beside the paper's (a spec stating `paper_effect`), and for a claim
  /// not testable at this budget, what would test it: the seeds at which the same paired sd reaches the paper's
  /// effect, the runs that costs at this scale, and the route (`full` scale through `dropbench submit`).
  static func testabilityLines(_ results: ExperimentResults) -> String {
    guard let t = results.verdict.testability else { return "" }
    let metric = results.verdict.metric
    let unit = Fmt.isPercent(metric) ? " pt" : ""
    var s = ""
    if let effect = t.paperEffect {
      s += "The paper's effect in `\(metric)`: \(Fmt.metric(effect, metric))\(unit)"
      if let mde = t.mde, let n = t.seeds {
        s += "; the smallest effect this design detects (80% power, 5% two-sided, the widest undecided comparison, "
        s += "\(n) paired seeds): \(Fmt.metric(mde, metric))\(unit)"
      }
      s += ".\n\n"
    }
    guard results.verdict.verdict == .notTestable else { return s }
    if let premise = t.premiseMissing {
      s += "**Not testable at this budget:** the proxy lacks a premise of the claim — \(premise). Our numbers above "
      s += "describe the proxy only.\n\n"
    } else {
      let arms = results.spec.points().count
      s += "**Not testable at this budget:** an effect of the paper's size is below what these seeds can detect. "
      if let needed = t.seedsNeeded {
        s += "About \(needed) seeds would detect it (the same paired spread): \(needed * arms) runs of this grid, "
        s += "\(needed * arms - results.spec.seeds.count * arms) more than now — the `full` scale through "
        s += "`dropbench submit` (docs/cli.md). "
      } else {
        s += "No seed count up to 1,000 reaches it at this spread; the claim needs a setting with less seed noise. "
      }
      s += "Our numbers above describe the proxy only; they neither support nor contradict the paper.\n\n"
    }
    return s
  }

  /// ("`test_accuracy`: comparison label", "+3.83 pt [3.12, 4.55], n = 3") for every comparison with a mean
  /// difference and a 95% interval; variance ratios and comparisons decided without numbers have no interval and
  /// are left to the Comparisons table.
  static func ourEffects(_ verdict: ClaimEvaluation) -> [(String, String)] {
    collectComparisons(verdict, prefix: "").compactMap { label, metric, c in
      guard let d = c.meanDiff, let lo = c.ciLow, let hi = c.ciHigh else { return nil }
      let unit = Fmt.isPercent(metric) ? " pt" : ""
      let interval = "[\(Fmt.metric(lo, metric)), \(Fmt.metric(hi, metric))]"
      return ("`\(metric)`: \(label)", "\(Fmt.signed(d, Fmt.decimals(for: metric)))\(unit) \(interval), n = \(c.n)")
    }
  }

  /// The learning curves of every trained arm (`CurvesFigure`), beside the regime table that reads them.
  static func curvesSection(_ results: ExperimentResults, layout: ExperimentLayout) -> String {
    let pair = FitMetricPair.recorded(in: results.runs.filter { $0.status == .ok }.map(\.final))
    var s = "### Learning curves\n\n"
    s += "![Learning curves of every arm](figures/\(CurvesFigure.stem(results.experimentID)).svg)\n\n"
    s += "`\(pair.test)` (left) and `\(pair.train)` (right) at every evaluated epoch, mean over the seeds that "
    s += "finished; one colour per trained arm"
    if results.spec.sweep.keys.contains(where: { $0.hasPrefix("eval.") }) {
      s += " (arms that differ only in an evaluation setting are one trained net and share one curve)"
    }
    return s + ".\n\n"
  }

  /// The regime the claim needs, as measured: its summary, and per grid point the train and test metric, their
  /// gap, the late gain of the train metric, and which conditions hold. When the gate replaced the verdict, says
  /// plainly that the check's outcome is about the proxy, not the paper.
  static func regimeSection(_ verdict: ClaimEvaluation, layout: ExperimentLayout) -> String {
    guard let regime = verdict.regime else { return "" }
    // The gate measures the sweep's points in grid order, as the layout lists them first; naming rows by the
    // layout's labels keeps them the same as the Results table's, before and after a JSON round trip.
    let gridCount = layout.results.spec.points().count
    let sameGrid = regime.rows.count == gridCount && gridCount <= layout.rows.count
    var s = "### Regime\n\n" + regime.summary + "\n\n"
    if verdict.verdict == .proxyInvalid, !regime.met {
      s += "**Not a verdict on the paper.** The claim is about nets that over-fit and have been trained to "
      s += "convergence, and this proxy is not shown to be in that regime. "
      if let check = verdict.checkVerdict {
        s += "The check alone says \(check.badge) \(check.rawValue) on these runs; that outcome describes the proxy "
        s += "and says nothing about the paper's claim either way.\n\n"
      } else {
        s += "The check itself could not compare the arms: one did not train at these settings.\n\n"
      }
    }
    if regime.rule != nil {
      let names = regime.rows.enumerated().map { i, row in sameGrid ? layout.rows[i].point.label : row.label }
      return s + regimeTableV2(regime, names: names)
    }
    // Reports stored before regime rule v2 (no `rule`): the v1 table, late gain and all.
    let train = regime.trainMetric
    let test = regime.testMetric
    // For an error (MSE) over-fitting shows as test − train, and the regime's numbers are measured that way.
    let lowerIsBetter = naturalGoal(of: train) == .min
    s += "| point | `\(train)` | `\(test)` | gap (\(lowerIsBetter ? "test − train" : "train − test")) | late gain | over-fits | converged |\n"
    s += "|---|--:|--:|--:|--:|:-:|:-:|\n"
    func value(_ v: Double?, _ metric: String) -> String { v.map { Fmt.metric($0, metric) } ?? "–" }
    func interval(_ low: Double?, _ high: Double?, _ metric: String) -> String {
      guard let low, let high else { return "" }
      let d = Fmt.decimals(for: metric)
      return " [\(Fmt.signed(low, d)), \(Fmt.signed(high, d))]"
    }
    // ✓ shown, ✗ shown not to hold, ? not shown either way (the interval straddles the threshold).
    func mark(_ shown: Bool?, refuted: Bool) -> String { shown.map { $0 ? "✓" : refuted ? "✗" : "?" } ?? "–" }
    for (i, row) in regime.rows.enumerated() {
      var gap = "–"
      if let a = row.train, let b = row.test {
        gap = Fmt.signed(lowerIsBetter ? b - a : a - b, Fmt.decimals(for: test)) + interval(row.gapLow, row.gapHigh, test)
      }
      let name = sameGrid ? layout.rows[i].point.label : row.label
      let label = name + (row.isReference && regime.overfitGap != nil ? " (reference)" : "")
      let gain = row.lateGain.map {
        Fmt.signed($0, Fmt.decimals(for: train)) + interval(row.lateGainLow, row.lateGainHigh, train)
      }
      let cells = [
        Fmt.cell(label), value(row.train, train), value(row.test, test), gap, gain ?? "–",
        mark(row.overfits, refuted: regime.overfitGap.map { row.shownNotToOverfit($0) } ?? false),
        mark(row.converged, refuted: regime.plateau.map { row.shownStillRising($0) } ?? false),
      ]
      s += "| " + cells.joined(separator: " | ") + " |\n"
    }
    var legend = ["Means over the finished seeds, with 95% intervals over seeds."]
    if let gap = regime.overfitGap {
      legend.append(
        "A reference point over-fits when the lower bound of \(lowerIsBetter ? "test − train" : "train − test") is at "
          + "least \(Fmt.axis(gap))\(isPercentMetric(test) ? " pt" : "") (other points: –).")
    }
    let percent = Int((regime.over * 100).rounded())
    legend.append(
      "Late gain: the \(lowerIsBetter ? "fall" : "rise") of `\(train)` over the last \(percent)% of the epochs.")
    if let plateau = regime.plateau {
      legend.append(
        "A point has converged when the upper bound of its late gain is at most \(Fmt.axis(plateau))"
          + "\(isPercentMetric(train) ? " pt" : "").")
    }
    legend.append("✓ shown, ✗ shown not to hold, ? not shown either way (the interval straddles the threshold: "
      + "the regime is not shown, so the proxy counts as invalid).")
    return s + "\n" + legend.joined(separator: " ") + "\n\n"
  }

  /// Full test-split sizes, used when a run's config leaves `dataset.test_size` unset (the whole split). They
  /// mirror the Data module's registry, which Report does not depend on.
  static let fullTestSizes = ["fashion-mnist": 10_000, "mnist-5k": 1_000]

  /// What the seed intervals leave out: every run is scored on one fixed test set, so its own sampling error is in
  /// no interval. For classifiers, the binomial standard error √(p(1 − p)/N) at the mean test accuracy p; for
  /// segmentation, only that the intervals are over seeds. Stated beside the intervals, never added to them.
  static func testSetSampling(_ results: ExperimentResults) -> String {
    let finished = results.runs.filter { $0.status == .ok }
    guard !finished.isEmpty else { return "" }
    if finished.contains(where: { $0.final["dice"] != nil }) {
      let sizes = Set(finished.compactMap { $0.config[path: "dataset.test_size"]?.asInt }).sorted()
      let size = sizes.count == 1 ? " of \(Fmt.count(sizes[0])) images" : ""
      return "Test-set sampling: Dice and IoU intervals are over seeds on one fixed test set\(size); they do not "
        + "include the test set's own sampling error (another draw of test images would move every arm).\n"
    }
    // One group per dataset and test-set size, since each has its own N and its own mean accuracy.
    // p is the best grid point's mean accuracy in each group: the regime the claims are about (a collapsed arm
    // at chance would otherwise pull p towards 50% and overstate the error).
    var groups: [String: (name: String, size: Int?, values: [[String: ConfigValue]: [Double]])] = [:]
    for run in finished {
      guard let accuracy = metricValue("test_accuracy", in: run.final), accuracy.isFinite else { continue }
      let name = run.config[path: "dataset.name"]?.asString
      let size = run.config[path: "dataset.test_size"]?.asInt ?? name.flatMap { fullTestSizes[$0] }
      let key = "\(name ?? "")\u{0}\(size.map(String.init) ?? "")"
      groups[key, default: (name ?? "test set", size, [:])].values[run.point, default: []].append(accuracy)
    }
    guard !groups.isEmpty else { return "" }
    let parts = groups.keys.sorted().map { key -> String in
      let g = groups[key]!
      let p = (g.values.values.map { Statistics.mean($0) }.max() ?? 0) / 100
      let prefix = groups.count > 1 ? "\(g.name): " : ""
      guard let n = g.size, n > 0 else {
        return prefix + "mean test accuracy \(Fmt.fixed(p * 100, 2))%, test-set size not recorded"
      }
      let se = (p * (1 - p) / Double(n)).squareRoot() * 100
      return prefix + "p = \(Fmt.fixed(p * 100, 2))%, N = \(Fmt.count(n)) test images: \(Fmt.fixed(se, 2)) pt"
    }
    var s = "Test-set sampling: the intervals are over training seeds on one fixed test set, so they do not include "
    s += "the test set's own sampling error. Its binomial standard error √(p(1 − p)/N) at the best point's mean "
    s += "test accuracy p and the test-set size N is " + parts.joined(separator: "; ") + ". "
    s += "It is stated here only; no interval on this page includes it.\n"
    return s
  }
}

extension ExperimentPage {
  /// How fair the comparison is: at a tuned scale, each arm's candidates with their mean validation metric and the
  /// value chosen (the results above are the chosen candidates'); at another scale of a spec with a tuning budget,
  /// that every method ran at its nominal setting, untuned, and what the tuned scale does instead.
  static func tuningSection(_ results: ExperimentResults, layout: ExperimentLayout) -> String {
    guard let budget = results.spec.tune else { return "" }
    let count = budget.knobs.values.first?.values.count ?? 0
    let fraction = Fmt.fixed(budget.validationFraction * 100, 0)
    let how =
      "each method's main knob gets the same budget of \(count) candidate values, every candidate is trained with "
      + "every seed on the training data less a held-out \(fraction)% (runs that hold out more keep theirs), and "
      + "each arm keeps the candidate with the best mean `\(budget.metric)`; the test split plays no part in the "
      + "choice"
    guard let tuning = results.tuning else {
      let scales = budget.scales.map { "`\($0)`" }.joined(separator: ", ")
      return "**Tuning.** None at scale `\(results.scale)`: every method runs at its paper's nominal setting, "
        + "untuned, so a method whose nominal rate does not suit this net is at a disadvantage. At scale \(scales), "
        + how + ".\n\n"
    }
    var s = "## Tuning\n\nAt this scale " + how + ". The results above are each arm's chosen candidate.\n\n"
    s += "| arm | knob | candidates: mean `\(tuning.metric)` (finished seeds) | chosen |\n|---|---|---|--:|\n"
    for choice in tuning.choices {
      let candidates = choice.values.indices.map { i -> String in
        let v = choice.validation[i].map { Fmt.metric($0, tuning.metric) } ?? "–"
        let cell = "\(choice.values[i]): \(v) (\(choice.finished[i]))"
        return i == choice.chosen ? "**\(cell)**" : cell
      }
      // The arm as the page names it now (the label stored with the choice is the one it was run under).
      let arm = layout.rows.first { $0.point.coordinates == choice.point }?.point.label ?? choice.label
      s += "| \(Fmt.cell(arm)) | `\(choice.parameter)` | \(Fmt.cell(candidates.joined(separator: " · "))) "
      s += "| \(choice.values[choice.chosen]) |\n"
    }
    return s + "\n"
  }
}

import Foundation
import NumberFormat

/// Decides whether a claim holds on our runs: the check's verdict, then the regime gate — when the claim states a
/// regime and the runs are not in it, the verdict is `proxy invalid` and the check's own outcome is kept beside it.
///
/// Runs are matched to points by their sweep coordinates and read from `RunRecord.final[metric]` (percentages
/// for accuracy, error, Dice and IoU). A point's statistics use only its finished seeds; paired comparisons use
/// only seeds finished in both points. Each rule is a hypothesis test at 2.5% per side (`DecisionRules.swift`). A
/// point where more than half of the runs diverged or stalled ranks below every other point and loses every
/// comparison. `where` restricts the points first; `by` evaluates each group separately and combines the groups
/// like `all` (intersection–union for holds, Holm for fails).
///
/// The regime is decided by rule v4 (`Convergence.swift`). `calibration` is the pilot data its budget-robustness
/// condition needs (`dropbench calibrate`); without it, on an annealed schedule that condition is "not measured"
/// and the proxy is not shown to be in regime. Last, a claim that states a paper effect or a missing premise may
/// be `not testable` (`Testability`).
public func evaluate(
  _ claim: ExperimentSpec.Claim, points: [GridPoint], runs: [RunRecord], calibration: CalibrationRecord? = nil
) -> ClaimEvaluation {
  var evaluation = evaluate(claim.check, points: points, runs: runs)
  let checkExplanation = evaluation.explanation
  if let regime = claim.regime {
    let report = regime.evaluate(points: points, runs: runs, calibration: calibration)
    evaluation.regime = report
    if !report.met {
      if evaluation.verdict == .proxyInvalid {
        evaluation.explanation = report.summary + " " + evaluation.explanation
      } else {
        evaluation.checkVerdict = evaluation.verdict
        evaluation.verdict = .proxyInvalid
        evaluation.explanation =
          report.summary + " The check alone would say \(evaluation.checkVerdict!.rawValue): " + evaluation.explanation
      }
    }
  }
  if let testability = claim.testability { decideTestability(&evaluation, testability, numbers: checkExplanation) }
  return evaluation
}

/// `not testable` (`Testability`): a missing premise always; otherwise an inconclusive check whose minimum
/// detectable effect exceeds the paper's. Our numbers (`numbers`: the check's own sentences, before the regime
/// gate) stay, as description only; the regime has its own section.
private func decideTestability(_ evaluation: inout ClaimEvaluation, _ testability: Testability, numbers: String) {
  let (report, notTestable) = testability.decide(evaluation)
  evaluation.testability = report
  guard notTestable else { return }
  var why: String
  if let premise = report.premiseMissing {
    why = "Not testable at this budget: the proxy lacks a premise of the claim — \(premise)."
  } else {
    why =
      "Not testable at this budget: with \(report.seeds ?? 0) paired seeds the smallest effect this design detects "
      + "(80% power, 5% two-sided) is \(Fmt.plain(report.mde ?? 0)), above the paper's \(Fmt.plain(report.paperEffect ?? 0))"
      + (report.seedsNeeded.map { "; about \($0) seeds would reach it" } ?? "; no affordable seed count reaches it")
      + "."
  }
  evaluation.checkVerdict = nil
  evaluation.verdict = .notTestable
  // A combined check's own sentence counts its parts' verdicts; its numbers are the parts', listed with them.
  evaluation.explanation =
    why + (evaluation.parts.isEmpty ? " Our numbers, as description only: " + numbers : " Our numbers, per part below, are description only.")
}

/// The check's verdict on the runs, without the regime gate (see `evaluate(_:points:runs:)` for claims).
public func evaluate(_ check: ClaimCheck, points: [GridPoint], runs: [RunRecord]) -> ClaimEvaluation {
  var index: [[String: ConfigValue]: [RunRecord]] = [:]
  for run in runs { index[run.point, default: []].append(run) }
  return evaluate(check, points: points, index: index)
}

private func evaluate(_ check: ClaimCheck, points: [GridPoint], index: [[String: ConfigValue]: [RunRecord]])
  -> ClaimEvaluation
{
  let selected = points.filter { $0.matches(check.filter) }
  let metric = check.metrics.joined(separator: ", ")
  if !check.by.isEmpty {
    var inner = check
    inner.by = []
    inner.filter = [:]
    let parts = groups(of: selected, by: check.by).map { group in
      var part = evaluate(inner, points: group.points, index: index)
      part.label = group.label
      return part
    }
    return combine(parts, metric: metric, what: "group")
  }
  if case .all(let checks) = check.rule {
    // Parts on different metrics (precision and recall of the same two arms) are told apart by their metric.
    let mixed = Set(checks.map { $0.metrics.joined(separator: ", ") }).count > 1
    let parts = checks.map { sub in
      var part = evaluate(sub, points: selected, index: index)
      let kind = mixed ? "\(sub.kind) on \(sub.metrics.joined(separator: ", "))" : sub.kind
      part.label = part.label.isEmpty ? kind : "\(kind) (\(part.label))"
      return part
    }
    return combine(parts, metric: metric, what: "check")
  }
  if selected.isEmpty {
    return ClaimEvaluation(
      verdict: .inconclusive, explanation: "No grid point matches the check's where.", metric: metric)
  }
  let summaries = selected.map { PointSummary(point: $0, metric: metric, runs: index[$0.coordinates] ?? []) }
  return CheckContext(metric: metric, summaries: summaries).apply(check.rule, points: selected)
}

extension CheckContext {
  /// The rule on this context's points (`all` is combined by the caller and never reaches here).
  fileprivate func apply(_ rule: ClaimCheck.Rule, points: [GridPoint]) -> ClaimEvaluation {
    switch rule {
    case .bestIn(let x, _, let range, let goal): return bestIn(x: x, range: range, goal: goal)
    case .peakInterior(let x, _, let direction): return peakInterior(x: x, goal: direction ?? naturalGoal(of: metric))
    case .betterThan(_, let a, let b, let margin): return betterThan(a: a, b: b, margin: margin, points: points)
    case .notBetterThan(_, let a, let b, let margin): return notBetterThan(a: a, b: b, margin: margin, points: points)
    case .equivalent(_, let a, let b, let margin): return equivalent(a: a, b: b, margin: margin, points: points)
    case .atLeast(_, let value): return atLeast(value: value)
    case .plateau(let x, _, let range, let margin): return plateau(x: x, range: range, margin: margin)
    case .lessVariable(_, let a, let b): return lessVariable(a: a, b: b, points: points)
    case .monotone(let x, _, let direction, let until): return monotone(x: x, direction: direction, until: until)
    case .mostStable(let x, _, let expected): return mostStable(x: x, expected: expected)
    case .all:
      return ClaimEvaluation(
        verdict: .inconclusive, explanation: "Nested all is combined by its caller.", metric: metric)
    }
  }
}

/// `all` and `by`: holds if every part holds (an intersection–union test: each part at its own level, no
/// correction needed); fails if Holm's correction over the "fails" p-values of every leaf check rejects at least
/// one at 2.5%; otherwise inconclusive. A part that failed alone but not after the correction is reported as such.
private func combine(_ parts: [ClaimEvaluation], metric: String, what: String) -> ClaimEvaluation {
  func leaves(_ e: ClaimEvaluation) -> [ClaimEvaluation] { e.parts.isEmpty ? [e] : e.parts.flatMap(leaves) }
  let all = parts.flatMap(leaves)
  let adjusted = HypothesisTests.holm(all.map { $0.pFails ?? 1 })
  let pFails = adjusted.min() ?? 1
  let holds = !parts.isEmpty && parts.allSatisfy { $0.verdict == .holds }
  // A part the proxy cannot test (a named side that does not train) leaves the whole untestable unless another
  // part fails on its own numbers.
  let untestable = parts.contains { $0.verdict == .proxyInvalid }
  let verdict: Verdict =
    holds ? .holds : pFails < HypothesisTests.sideLevel ? .fails : untestable ? .proxyInvalid : .inconclusive
  func names(_ v: Verdict) -> String {
    let labels = parts.filter { $0.verdict == v }.map(\.label)
    return labels.isEmpty ? "" : " (\(labels.joined(separator: "; ")))"
  }
  let counts = [Verdict.holds, .fails, .inconclusive, .proxyInvalid].compactMap { v -> String? in
    let n = parts.filter { $0.verdict == v }.count
    return v == .proxyInvalid && n == 0 ? nil : "\(n) \(v.rawValue)\(v == .holds ? "" : names(v))"
  }
  let failedAlone = parts.filter { $0.verdict == .fails }.count
  let correction =
    failedAlone > 0 && verdict != .fails
    ? " After Holm's correction over the \(all.count) tests (smallest adjusted p = \(Fmt.decimals(pFails, 3))), no failure stands."
    : failedAlone > 0 ? " Holm-adjusted over \(all.count) tests: p = \(Fmt.decimals(pFails, 3))." : ""
  var seen: Set<String> = []
  var summaries: [PointSummary] = []
  for s in parts.flatMap(\.summaries) where seen.insert("\(s.point.index) \(s.metric)").inserted {
    summaries.append(s)
  }
  let explanation =
    "Of \(parts.count) \(what)s: " + counts.joined(separator: ", ") + "." + correction + " "
    + CheckContext(metric: metric, summaries: summaries).exclusions
  return ClaimEvaluation(
    verdict: verdict, explanation: explanation, metric: metric, summaries: summaries, parts: parts, pFails: pFails)
}

/// The summaries of one check's points and the wording of its explanation.
struct CheckContext {
  let metric: String
  let summaries: [PointSummary]

  /// Accuracy, error, Dice and IoU are percentages, shown with "%" and differences in "pt".
  var percent: Bool { metric.split(separator: ",").allSatisfy { isPercentMetric($0.trimmingCharacters(in: .whitespaces)) } }

  func value(_ v: Double) -> String { percent ? Fmt.decimals(v, 2) + "%" : Fmt.significant(v, 4) }

  func number(_ v: Double) -> String { percent ? Fmt.decimals(v, 2) : Fmt.significant(v, 4) }

  /// "8 (91.20% ± 0.31)": mean ± 95% CI half-width over finished seeds.
  func describe(_ s: PointSummary, as name: String) -> String {
    if s.collapsed { return "\(name) (diverged in \(s.nDiverged) of \(s.nDiverged + s.n + s.nFailed) runs)" }
    guard let mean = s.mean else { return "\(name) (no finished runs)" }
    guard let high = s.ciHigh else { return "\(name) (\(value(mean)), 1 seed)" }
    return "\(name) (\(value(mean)) ± \(number(high - mean)))"
  }

  /// "+0.60 pt [0.20, 1.00]", or why there is no number ("regularizer.length=16 mostly diverged").
  func difference(_ c: Comparison) -> String {
    guard let d = c.meanDiff else {
      // Undecided for lack of seeds is not "decided without numbers" (that is a side that diverged).
      if let note = c.note, note != Comparison.tooFewSeeds { return "decided without numbers: \(note)" }
      return "no paired seeds"
    }
    let unit = percent ? " pt" : ""
    var text = (d >= 0 ? "+" : "") + number(d) + unit
    if let lo = c.ciLow, let hi = c.ciHigh { text += " [\(number(lo)), \(number(hi))]" }
    return text
  }

  /// The best point by mean among those that did not collapse.
  func best(_ candidates: [PointSummary], goal: ClaimCheck.Goal) -> PointSummary? {
    let eligible = candidates.filter { !$0.collapsed && $0.mean != nil }
    return goal == .max ? eligible.max { $0.mean! < $1.mean! } : eligible.min { $0.mean! < $1.mean! }
  }

  /// Paired comparison of `a` against `b` with the difference multiplied by `sign` (+1 when higher is better).
  /// A collapsed side loses without numbers.
  func compare(_ a: PointSummary, _ b: PointSummary, sign: Double, label: String) -> Comparison {
    switch (a.collapsed, b.collapsed) {
    case (true, true):
      return Comparison(
        label: label, meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: .neither,
        note: "both sides mostly diverged")
    case (false, true):
      return Comparison(
        label: label, meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: .aBetter,
        note: "\(b.point.label) mostly diverged")
    case (true, false):
      return Comparison(
        label: label, meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: .bBetter,
        note: "\(a.point.label) mostly diverged")
    case (false, false):
      let seeds = Set(a.values.keys).intersection(b.values.keys).sorted()
      return Comparison(label: label, differences: seeds.map { sign * (a.values[$0]! - b.values[$0]!) })
    }
  }

  /// "over 5 paired seeds" (or the reason there are no numbers).
  func pairedText(_ c: Comparison) -> String {
    c.meanDiff == nil ? "" : " over \(c.n) paired seed\(c.n == 1 ? "" : "s")"
  }

  /// The closing sentence: how many runs were excluded and why.
  var exclusions: String {
    let diverged = summaries.filter { $0.nDiverged > 0 }
    let failed = summaries.filter { $0.nFailed > 0 }
    let nDiverged = diverged.reduce(0) { $0 + $1.nDiverged }
    let nFailed = failed.reduce(0) { $0 + $1.nFailed }
    if nDiverged + nFailed == 0 { return "No runs excluded." }
    func list(_ s: [PointSummary], _ seeds: (PointSummary) -> [Int]) -> String {
      s.map {
        "\($0.point.label): seed\(seeds($0).count == 1 ? "" : "s") \(seeds($0).map(String.init).joined(separator: ", "))"
      }
      .joined(separator: "; ")
    }
    var parts: [String] = []
    if nDiverged > 0 { parts.append("\(nDiverged) diverged or stalled (\(list(diverged, \.divergedSeeds)))") }
    if nFailed > 0 { parts.append("\(nFailed) failed or lacked \(metric) (\(list(failed, \.failedSeeds)))") }
    var text =
      "Excluded \(nDiverged + nFailed) run\(nDiverged + nFailed == 1 ? "" : "s"): " + parts.joined(separator: ", ")
      + "."
    let collapsed = summaries.filter(\.collapsed).map(\.point.label)
    if !collapsed.isEmpty {
      text +=
        " Ranked last because more than half of their runs diverged or stalled: \(collapsed.joined(separator: "; "))."
    }
    return text
  }

  func finish(_ verdict: Verdict, _ sentence: String, _ comparisons: [Comparison], pFails: Double? = nil)
    -> ClaimEvaluation
  {
    ClaimEvaluation(
      verdict: verdict, explanation: sentence + " " + exclusions, metric: metric, summaries: summaries,
      comparisons: comparisons, pFails: pFails)
  }
}

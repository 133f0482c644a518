import Foundation
import NumberFormat

/// The decision rule of each check kind, as hypothesis tests (`HypothesisTests`). Every rule states its verdict in
/// its doc comment and returns `pFails`, the p-value of its "fails" test, so that `all` and `by` can correct for
/// the number of parts (Holm). Rules that pick the best point from the data (`argmax_in`, `peak_interior`) test
/// the picked statistic against its within-seed permutation distribution, so the pick is paid for.
extension CheckContext {
  private typealias H = HypothesisTests

  private func sign(_ goal: ClaimCheck.Goal) -> Double { goal == .max ? 1 : -1 }

  private func ambiguous(_ x: String) -> ClaimEvaluation {
    finish(
      .inconclusive, "Several points share a value of \(x); add the other sweep keys to the check's by or where.", [])
  }

  private func pText(_ p: Double) -> String { p < 0.001 ? "p < 0.001" : "p = " + Fmt.decimals(p, 3) }

  /// Seeds finished in every given point, and each point's values on them (goal-signed when `sign` is given).
  private func matrix(_ points: [PointSummary], sign s: Double = 1) -> (seeds: [Int], rows: [[Double]]) {
    guard var seeds = points.first.map({ Set($0.values.keys) }) else { return ([], []) }
    for p in points { seeds.formIntersection(p.values.keys) }
    let sorted = seeds.sorted()
    return (sorted, sorted.map { seed in points.map { s * $0.values[seed]! } })
  }

  /// `argmax_in` / `argmin_in`: T = (best mean inside the range) − (best mean outside), goal-signed. Holds when
  /// T is large against its within-seed permutation distribution (p < 2.5%), fails when −T is; otherwise
  /// inconclusive. Mostly diverged points rank last: if every point on one side collapsed, that side loses.
  func bestIn(x: String, range: [Double], goal: ClaimCheck.Goal) -> ClaimEvaluation {
    let rangeText = "[\(Fmt.plain(range[0])), \(Fmt.plain(range[1]))]"
    func inside(_ s: PointSummary) -> Bool {
      guard let v = s.point.value(at: x)?.asDouble else { return false }
      return v >= range[0] && v <= range[1]
    }
    return selectedLead(
      x: x, goal: goal, isA: inside, aName: "inside \(rangeText)", bName: "outside \(rangeText)",
      holdsMeans: "the best x lies in \(rangeText)")
  }

  /// `peak_interior`: T = (best interior mean) − (better of the two ends), goal-signed; holds when T is large
  /// against its within-seed permutation distribution, fails when −T is (an end beats every interior point).
  func peakInterior(x: String, goal: ClaimCheck.Goal) -> ClaimEvaluation {
    guard let ordered = orderedAlong(x, summaries) else { return ambiguous(x) }
    guard ordered.count >= 3 else { return finish(.inconclusive, "Needs at least 3 values of \(x).", []) }
    let ends = [ordered.first!.point, ordered.last!.point]
    return selectedLead(
      x: x, goal: goal, isA: { !ends.contains($0.point) }, aName: "interior", bName: "ends",
      holdsMeans: "the peak is interior")
  }

  /// The shared selection-aware rule: the best of side A against the best of side B.
  private func selectedLead(
    x: String, goal: ClaimCheck.Goal, isA: (PointSummary) -> Bool, aName: String, bName: String, holdsMeans: String
  ) -> ClaimEvaluation {
    func label(_ s: PointSummary) -> String { xName(s.point, x) }
    let sideA = summaries.filter(isA)
    let sideB = summaries.filter { !isA($0) }
    let liveA = sideA.filter { !$0.collapsed && $0.mean != nil }
    let liveB = sideB.filter { !$0.collapsed && $0.mean != nil }
    if liveA.isEmpty || liveB.isEmpty {
      if !liveA.isEmpty, !sideB.isEmpty, sideB.allSatisfy(\.collapsed) {
        return finish(.holds, "Every point \(bName) mostly diverged or stalled; \(holdsMeans).", [], pFails: 1)
      }
      if !liveB.isEmpty, !sideA.isEmpty, sideA.allSatisfy(\.collapsed) {
        return finish(.fails, "Every point \(aName) mostly diverged or stalled.", [], pFails: 0)
      }
      return finish(.inconclusive, "No finished runs \(liveA.isEmpty ? aName : bName).", [])
    }
    let live = liveA + liveB
    let nA = liveA.count
    let (seeds, rows) = matrix(live, sign: sign(goal))
    let bestA = best(liveA, goal: goal)!
    let bestB = best(liveB, goal: goal)!
    let lead = sign(goal) * (bestA.mean! - bestB.mean!)
    let head =
      "Best \(aName) \(describe(bestA, as: label(bestA))), best \(bName) \(describe(bestB, as: label(bestB))): "
      + "lead \(lead >= 0 ? "+" : "")\(number(lead))\(percent ? " pt" : "")"
    guard seeds.count >= 2 else {
      return finish(.inconclusive, head + "; fewer than 2 seeds finished in every point.", [])
    }
    let test = H.permutation(rows) { means in
      (means[0..<nA].max() ?? 0) - (means[nA...].max() ?? 0)
    }
    let c = compare(bestA, bestB, sign: sign(goal), label: "\(label(bestA)) vs \(label(bestB))")
    var verdict = Verdict.inconclusive
    if test.atLeast < H.sideLevel { verdict = .holds } else if test.atMost < H.sideLevel { verdict = .fails }
    let sentence =
      head + " over \(seeds.count) seeds; within-seed permutation test of the best-vs-best lead "
      + "(\(pText(test.atLeast)) for \(aName), \(pText(test.atMost)) for \(bName); pick included)."
    return finish(verdict, sentence, [c], pFails: test.atMost)
  }

  /// Per-seed (mean of the `a` points − mean of the `b` points), averaged over the pairs of points that share the
  /// other coordinates, positive = `a` better. Decided without numbers when a whole side collapsed.
  private func pairedDifference(a: [String: ConfigValue], b: [String: ConfigValue], points: [GridPoint])
    -> Result<Comparison, PairingProblem>
  {
    let pairs: [PointPair]
    switch pairPoints(points, a: a, b: b) {
    case .failure(let problem): return .failure(PairingProblem(text: problem))
    case .success(let p): pairs = p
    }
    let byPoint = Dictionary(summaries.map { ($0.point, $0) }, uniquingKeysWith: { first, _ in first })
    let sa = pairs.map { $0.a.map { byPoint[$0]! } }
    let sb = pairs.map { $0.b.map { byPoint[$0]! } }
    // A side of several points (a range) is named by its selection, not by listing every point.
    func names(_ side: [[PointSummary]], _ selection: [String: ConfigValue]) -> String {
      if side.allSatisfy({ $0.count == 1 }) { return side.joined().map(\.point.label).joined(separator: "; ") }
      let rest = Set(side.joined().map { p in p.point.label }).count
      return "mean of " + selection.keys.sorted().map { key in
        if case .map(let m)? = selection[key], case .list(let b)? = m["in"], b.count == 2 {
          return "\(key) in [\(b[0]), \(b[1])]"
        }
        return "\(key)=\(selection[key]!)"
      }.joined(separator: ", ") + " (\(rest) points)"
    }
    let label =
      pairs.count == 1
      ? pairLabel(sa[0].map(\.point), sb[0].map(\.point), written: (names(sa, a), names(sb, b)))
      : "\(names(sa, a)) vs \(names(sb, b))"
    let aCollapsed = sa.joined().contains(where: \.collapsed)
    let bCollapsed = sb.joined().contains(where: \.collapsed)
    if aCollapsed || bCollapsed {
      let outcome: Comparison.Outcome = aCollapsed == bCollapsed ? .neither : aCollapsed ? .bBetter : .aBetter
      var who: [String] = []
      for p in (sa + sb).joined() where p.collapsed && !who.contains(p.point.label) { who.append(p.point.label) }
      return .success(
        Comparison(
          label: label, meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: outcome,
          note: "\(who.joined(separator: " and ")) mostly diverged or stalled"))
    }
    var seeds = Set(sa[0][0].values.keys)
    for s in (sa + sb).joined() { seeds.formIntersection(s.values.keys) }
    let s = sign(naturalGoal(of: metric))
    func sideMean(_ side: [PointSummary], _ seed: Int) -> Double {
      side.reduce(0) { $0 + $1.values[seed]! } / Double(side.count)
    }
    let differences = seeds.sorted().map { seed in
      zip(sa, sb).reduce(0.0) { $0 + s * (sideMean($1.0, seed) - sideMean($1.1, seed)) } / Double(pairs.count)
    }
    return .success(Comparison(label: label, differences: differences))
  }

  /// Decides on the paired differences of `a` and `b`: the rule's sentence always, its test (`decide`: verdict and
  /// `pFails` from the differences) when there are numbers to test; or says why they cannot be paired.
  private func onPaired(
    _ a: [String: ConfigValue], _ b: [String: ConfigValue], _ points: [GridPoint], sentence: (Comparison) -> String,
    decide: ([Double]) -> (verdict: Verdict, pFails: Double?)
  ) -> ClaimEvaluation {
    switch pairedDifference(a: a, b: b, points: points) {
    case .failure(let problem): return finish(.inconclusive, "Cannot pair a with b: \(problem.text).", [])
    case .success(let c):
      let text = sentence(c)
      guard c.meanDiff != nil else { return decidedWithoutNumbers(c, text) }
      let (verdict, pFails) = decide(c.differences)
      return finish(verdict, text, [c], pFails: pFails)
    }
  }

  /// `better_than`: holds when the paired mean difference (a − b, positive = a better) is above `margin` at
  /// 2.5% one-sided (the 95% interval's lower bound exceeds the margin); fails when it is below 0 at 2.5%.
  func betterThan(a: [String: ConfigValue], b: [String: ConfigValue], margin: Double, points: [GridPoint])
    -> ClaimEvaluation
  {
    onPaired(a, b, points) { c in
      let marginText = margin == 0 ? "" : " (required margin \(number(margin)))"
      return "\(c.label): a − b = \(difference(c))\(pairedText(c))\(marginText), positive = a better."
    } decide: { d in
      let up = H.oneSample(d, against: margin)
      let down = H.oneSample(d, against: 0)
      let verdict: Verdict =
        (up?.greater ?? 1) < H.sideLevel ? .holds : (down?.less ?? 1) < H.sideLevel ? .fails : .inconclusive
      return (verdict, down?.less)
    }
  }

  /// `not_better_than`: "a gives no gain over b": holds when a − b is below `margin` at 2.5% one-sided (the upper
  /// bound of the 95% interval is under the margin, one side of TOST); fails when a − b is above the margin at
  /// 2.5% (a real gain beyond it).
  func notBetterThan(a: [String: ConfigValue], b: [String: ConfigValue], margin: Double, points: [GridPoint])
    -> ClaimEvaluation
  {
    onPaired(a, b, points) { c in
      "\(c.label): a − b = \(difference(c))\(pairedText(c)), positive = a better; no gain means below "
        + "\(number(margin))\(percent ? " pt" : "")."
    } decide: { d in
      let t = H.oneSample(d, against: margin)
      let verdict: Verdict =
        (t?.less ?? 1) < H.equivalenceLevel ? .holds : (t?.greater ?? 1) < H.sideLevel ? .fails : .inconclusive
      return (verdict, t?.greater)
    }
  }

  /// `equivalent`: holds when |a − b| < margin by two one-sided tests at 2.5% (the 95% interval lies inside
  /// ±margin); fails when a − b is beyond +margin or −margin at 2.5%.
  func equivalent(a: [String: ConfigValue], b: [String: ConfigValue], margin: Double, points: [GridPoint])
    -> ClaimEvaluation
  {
    onPaired(a, b, points) { c in
      "\(c.label): a − b = \(difference(c))\(pairedText(c)); equivalent means within ±\(number(margin))"
        + "\(percent ? " pt" : "")."
    } decide: { d in
      let (holds, pFails) = tost(d, margin: margin)
      return (holds ? .holds : pFails < H.sideLevel ? .fails : .inconclusive, pFails)
    }
  }

  /// TOST on paired differences: (both one-sided tests reject at `equivalenceLevel`, p of the more significant
  /// "beyond the margin" side).
  private func tost(_ d: [Double], margin: Double) -> (holds: Bool, pFails: Double) {
    guard let upper = H.oneSample(d, against: margin), let lower = H.oneSample(d, against: -margin) else {
      return (false, 1)
    }
    return (
      upper.less < H.equivalenceLevel && lower.greater < H.equivalenceLevel, min(upper.greater, lower.less)
    )
  }

  /// `at_least`: on the single selected point, holds when the mean exceeds `value` at 2.5% one-sided; fails when
  /// it is below `value` at 2.5%. Seed-level only: the test set's own sampling error is not included.
  func atLeast(value: Double) -> ClaimEvaluation {
    guard summaries.count == 1, let s = summaries.first else {
      return finish(.inconclusive, "at_least needs exactly one point (use where); got \(summaries.count).", [])
    }
    let goal = naturalGoal(of: metric)
    let sentence =
      "\(describe(s, as: s.point.label.isEmpty ? metric : s.point.label)) against \(goal == .max ? "at least" : "at most") "
      + "\(self.value(value))."
    if s.collapsed { return untrainable(s) }
    let values = s.values.keys.sorted().map { sign(goal) * s.values[$0]! }
    guard let t = H.oneSample(values, against: sign(goal) * value) else {
      return finish(.inconclusive, sentence + " Needs 2 finished seeds.", [])
    }
    let verdict: Verdict = t.greater < H.sideLevel ? .holds : t.less < H.sideLevel ? .fails : .inconclusive
    return finish(verdict, sentence, [], pFails: t.less)
  }

  /// `plateau`: every pair of points with x in `range` is equivalent within ±margin (TOST at 2.5% for each pair;
  /// all must hold, an intersection–union test needs no correction); fails when some pair differs by more than
  /// the margin at 2.5% after Holm's correction over the pairs, or a point in the range mostly diverged.
  func plateau(x: String, range: [Double], margin: Double) -> ClaimEvaluation {
    guard let ordered = orderedAlong(x, summaries) else { return ambiguous(x) }
    let inRange = ordered.filter { s in s.point.value(at: x)?.asDouble.map { $0 >= range[0] && $0 <= range[1] } ?? false }
    func label(_ s: PointSummary) -> String { xName(s.point, x) }
    let rangeText = "[\(Fmt.plain(range[0])), \(Fmt.plain(range[1]))]"
    if let dead = inRange.first(where: \.collapsed) {
      return finish(.fails, "\(shortName(x)) \(label(dead)) in \(rangeText) mostly diverged or stalled.", [], pFails: 0)
    }
    guard inRange.count >= 2 else { return finish(.inconclusive, "Needs 2 points in \(rangeText).", []) }
    var comparisons: [Comparison] = []
    var allHold = true
    var pBeyond: [Double] = []
    for i in inRange.indices {
      for j in inRange.indices where j > i {
        let c = compare(inRange[j], inRange[i], sign: 1, label: "\(label(inRange[j])) vs \(label(inRange[i]))")
        let (holds, p) = tost(c.differences, margin: margin)
        allHold = allHold && holds
        pBeyond.append(p)
        comparisons.append(c)
      }
    }
    let pFails = H.holm(pBeyond).min() ?? 1
    let widest = comparisons.max { abs($0.meanDiff ?? 0) < abs($1.meanDiff ?? 0) }!
    let means = inRange.map { "\(label($0)): \($0.mean.map(value) ?? "–")" }.joined(separator: ", ")
    let sentence =
      "Points in \(rangeText): \(means); widest pair \(widest.label) \(difference(widest)); flat means every pair "
      + "within ±\(number(margin))\(percent ? " pt" : "") (TOST for each of \(comparisons.count) pairs; Holm for "
      + "the pairs beyond it, smallest adjusted \(pText(pFails)))."
    let verdict: Verdict = allHold ? .holds : pFails < H.sideLevel ? .fails : .inconclusive
    return finish(verdict, sentence, comparisons, pFails: pFails)
  }

  /// `monotone`: over the x grid up to `until`, holds when every consecutive mean moves in `direction` and
  /// last − first is significant in that direction (2.5% one-sided); fails when last − first is significant in
  /// the opposite direction. A mostly diverged point anywhere on the path prevents "holds".
  func monotone(x: String, direction: ClaimCheck.Trend, until: ConfigValue?) -> ClaimEvaluation {
    guard var ordered = orderedAlong(x, summaries) else { return ambiguous(x) }
    if let until, let end = ordered.firstIndex(where: { $0.point.value(at: x) == until }) {
      ordered = Array(ordered[...end])
    }
    guard ordered.count >= 2 else { return finish(.inconclusive, "Needs at least 2 values of \(x).", []) }
    let s: Double = direction == .increasing ? 1 : -1
    let first = ordered.first!
    let last = ordered.last!
    func label(_ p: PointSummary) -> String { xName(p.point, x) }
    let c = compare(last, first, sign: s, label: "\(label(last)) vs \(label(first))")
    let steps = zip(ordered, ordered.dropFirst()).filter { a, b in
      guard !a.collapsed, !b.collapsed, let ma = a.mean, let mb = b.mean else { return false }
      return s * (mb - ma) > 0
    }.count
    let path = ordered.map { $0.mean.map(value) ?? "–" }.joined(separator: " → ")
    let t = c.meanDiff == nil ? nil : H.oneSample(c.differences, against: 0)
    let pFails = t?.less ?? (c.outcome == .bBetter ? 0 : 1)
    let significant = t.map { $0.greater < H.sideLevel } ?? (c.outcome == .aBetter)
    let verdict: Verdict =
      significant && steps == ordered.count - 1 ? .holds : pFails < H.sideLevel ? .fails : .inconclusive
    let sentence =
      "Mean \(metric) along \(shortName(x)) \(ordered.map(label).joined(separator: ", ")): \(path); "
      + "\(steps) of \(ordered.count - 1) steps \(direction == .increasing ? "increase" : "decrease"); "
      + "\(direction == .increasing ? "last − first" : "first − last") \(difference(c))\(pairedText(c))."
    return finish(verdict, sentence, [c], pFails: pFails)
  }

  /// `less_variable`: holds when a's spread over seeds is smaller than b's by the paired Pitman–Morgan test at
  /// 2.5% one-sided; fails when it is larger at 2.5%. Needs 3 paired seeds.
  func lessVariable(a: [String: ConfigValue], b: [String: ConfigValue], points: [GridPoint]) -> ClaimEvaluation {
    let sideA = summaries.filter { $0.point.matches(a) }
    let sideB = summaries.filter { $0.point.matches(b) }
    guard sideA.count == 1, sideB.count == 1, let pa = sideA.first, let pb = sideB.first else {
      return finish(.inconclusive, "less_variable needs exactly one point on each side (use where).", [])
    }
    if let dead = [pa, pb].first(where: \.collapsed) { return untrainable(dead) }
    return varianceTest(pa, pb)
  }

  /// Pitman–Morgan of one point against another, as an evaluation.
  private func varianceTest(_ pa: PointSummary, _ pb: PointSummary) -> ClaimEvaluation {
    let (_, rows) = matrix([pa, pb])
    let label = "sd(\(pa.point.label)) vs sd(\(pb.point.label))"
    guard let t = H.pitmanMorgan(rows.map { $0[0] }, rows.map { $0[1] }) else {
      return finish(.inconclusive, "\(label): needs 3 paired seeds.", [])
    }
    let c = Comparison(
      label: label, meanDiff: t.ratio.isFinite ? t.ratio : nil, ciLow: nil, ciHigh: nil, n: rows.count, mde: nil,
      outcome: t.aLess < H.sideLevel ? .aBetter : t.aMore < H.sideLevel ? .bBetter : .neither,
      note: "paired Pitman–Morgan test; the number is the variance ratio")
    let verdict: Verdict = t.aLess < H.sideLevel ? .holds : t.aMore < H.sideLevel ? .fails : .inconclusive
    let sentence =
      "\(label): \(pa.sd.map(number) ?? "–") vs \(pb.sd.map(number) ?? "–") over \(rows.count) paired seeds, "
      + "variance ratio \(Fmt.significant(t.ratio, 3)); Pitman–Morgan \(pText(t.aLess)) for smaller, "
      + "\(pText(t.aMore)) for larger."
    return finish(verdict, sentence, [c], pFails: t.aMore)
  }

  /// `most_stable`: holds when the expected x is less variable than every other point (Pitman–Morgan at 2.5%
  /// against each; all must hold); fails when some other point is less variable than it at 2.5% after Holm's
  /// correction over the others, or when it mostly diverged.
  func mostStable(x: String, expected: ConfigValue) -> ClaimEvaluation {
    guard orderedAlong(x, summaries) != nil else { return ambiguous(x) }
    guard let target = summaries.first(where: { $0.point.value(at: x) == expected }) else {
      return finish(.inconclusive, "No point has \(x) = \(expected).", [])
    }
    if target.collapsed {
      return finish(.fails, "Expected most stable \(shortName(x)) \(xText(expected)) mostly diverged or stalled.", [], pFails: 0)
    }
    let others = summaries.filter { $0.point != target.point && !$0.collapsed }
    let parts = others.map { varianceTest(target, $0) }
    guard !parts.isEmpty else { return finish(.inconclusive, "No other point to compare with.", []) }
    let adjusted = HypothesisTests.holm(parts.map { $0.pFails ?? 1 })
    let pFails = adjusted.min() ?? 1
    let verdict: Verdict =
      parts.allSatisfy { $0.verdict == .holds } ? .holds : pFails < H.sideLevel ? .fails : .inconclusive
    let sds = summaries.map { "\(xName($0.point, x)): \($0.sd.map(number) ?? "–")" }
    let sentence =
      "sd over seeds — \(sds.joined(separator: ", ")). \(shortName(x)) \(xText(expected)) against each other point "
      + "by Pitman–Morgan: \(parts.filter { $0.verdict == .holds }.count) of \(parts.count) significantly steadier; "
      + "smallest Holm-adjusted p for a steadier rival \(pText(pFails))."
    return finish(verdict, sentence, parts.flatMap(\.comparisons), pFails: pFails)
  }

  /// A comparison with a side that mostly diverged or stalled. A named comparison (`better_than`,
  /// `not_better_than`, `equivalent`, `less_variable`, `at_least`) is about methods that train: when the settings
  /// do not train one side, the comparison cannot test the claim, so the verdict is `proxy invalid` — a finding
  /// about the proxy's settings, not a loss for that side. (Sweep checks — `best_in`, `peak_interior`, `plateau`,
  /// `monotone`, `most_stable` — still rank a collapsed point last: there, too much of a regularizer breaking
  /// training is part of the curve the claim describes.)
  private func decidedWithoutNumbers(_ c: Comparison, _ sentence: String) -> ClaimEvaluation {
    // No interval for lack of paired seeds is not a side that failed to train.
    if c.note == nil || c.note == Comparison.tooFewSeeds { return finish(.inconclusive, sentence, [c]) }
    var evaluation = finish(.proxyInvalid, sentence, [c])
    evaluation.explanation =
      "\(c.note ?? "a side mostly diverged or stalled"): these "
      + "settings do not train it, so the comparison cannot test the claim (proxy invalid, not a loss for that "
      + "side). " + evaluation.explanation
    return evaluation
  }

  /// A named point that mostly diverged or stalled: `proxy invalid` (see `decidedWithoutNumbers`).
  private func untrainable(_ s: PointSummary) -> ClaimEvaluation {
    finish(
      .proxyInvalid,
      "\(describe(s, as: s.point.label)): these settings do not train it, so the check cannot test the claim "
        + "(proxy invalid, not a loss for that side).", [])
  }
}

/// Why a check's a and b sides could not be paired.
struct PairingProblem: Error {
  var text: String
}

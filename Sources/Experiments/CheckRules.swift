import Foundation

/// The decision rule of each check kind. Every rule states its verdict in its doc comment; "significant" means
/// the 95% paired t-interval excludes 0 (see `Comparison`).
extension CheckContext {
  private func sign(_ goal: ClaimCheck.Goal) -> Double { goal == .max ? 1 : -1 }

  private func ambiguous(_ x: String) -> ClaimEvaluation {
    finish(
      .inconclusive, "Several points share a value of \(x); add the other sweep keys to the check's by or where.", [])
  }

  /// `argmax_in` / `argmin_in`: holds when the best point's x lies in the range and the best in-range point is
  /// significantly better than the best out-of-range point; fails when the best x is outside the range and
  /// significantly better than the best in-range point; otherwise inconclusive.
  func bestIn(x: String, range: [Double], goal: ClaimCheck.Goal) -> ClaimEvaluation {
    let name = shortName(x)
    let rangeText = "[\(formatNumber(range[0])), \(formatNumber(range[1]))]"
    func inside(_ s: PointSummary) -> Bool {
      guard let v = s.point.coordinates[x]?.asDouble else { return false }
      return v >= range[0] && v <= range[1]
    }
    let inRange = summaries.filter(inside)
    let outRange = summaries.filter { !inside($0) }
    guard let best = best(summaries, goal: goal) else {
      return finish(.inconclusive, "No point has finished runs.", [])
    }
    let bestInside = inside(best)
    let winner = best
    let rival = bestInside ? self.best(outRange, goal: goal) : self.best(inRange, goal: goal)
    let sideName = bestInside ? "outside" : "inside"
    let lead =
      "Best \(name) \(describe(best, as: xText(best.point.coordinates[x]))) is \(bestInside ? "inside" : "outside") \(rangeText)"
    guard let rival else {
      // Every point on the other side collapsed (or has no runs): collapsed points lose by definition.
      let others = bestInside ? outRange : inRange
      if !others.isEmpty, others.allSatisfy(\.collapsed) {
        return finish(bestInside ? .holds : .fails, "\(lead); every point \(sideName) mostly diverged.", [])
      }
      return finish(.inconclusive, "\(lead); no point \(sideName) the range has finished runs.", [])
    }
    let c = compare(
      winner, rival, sign: sign(goal),
      label: "\(xText(winner.point.coordinates[x])) vs \(xText(rival.point.coordinates[x]))")
    let sentence =
      "\(lead); against the best \(sideName), \(describe(rival, as: xText(rival.point.coordinates[x]))), "
      + "the difference is \(difference(c))\(pairedText(c))\(c.outcome == .aBetter ? " (significant)" : " (not significant)")."
    if c.outcome == .aBetter { return finish(bestInside ? .holds : .fails, sentence, [c]) }
    return finish(.inconclusive, sentence, [c])
  }

  /// `peak_interior`: holds when the best x is strictly inside the grid and significantly better than both
  /// ends; fails when the best x is an end and significantly better than the best interior point; otherwise
  /// inconclusive.
  func peakInterior(x: String, goal: ClaimCheck.Goal) -> ClaimEvaluation {
    guard let ordered = orderedAlong(x, summaries) else { return ambiguous(x) }
    guard ordered.count >= 3 else { return finish(.inconclusive, "Needs at least 3 values of \(x).", []) }
    guard let best = best(ordered, goal: goal) else { return finish(.inconclusive, "No point has finished runs.", []) }
    let name = shortName(x)
    func label(_ s: PointSummary) -> String { xText(s.point.coordinates[x]) }
    let ends = [ordered.first!, ordered.last!]
    if !ends.contains(where: { $0.point == best.point }) {
      let comparisons = ends.map { compare(best, $0, sign: sign(goal), label: "\(label(best)) vs \(label($0))") }
      let parts = zip(ends, comparisons).map { end, c in
        c.meanDiff == nil
          ? "than \(label(end)) (\(c.note ?? "no paired seeds"))"
          : "than \(label(end)) by \(difference(c))\(pairedText(c))"
      }
      let verdict: Verdict = comparisons.allSatisfy { $0.outcome == .aBetter } ? .holds : .inconclusive
      let sentence =
        "Best \(name) \(describe(best, as: label(best))) is interior; it is "
        + (verdict == .holds ? "significantly better " : "not significantly better than both ends: ")
        + parts.joined(separator: " and ") + "."
      return finish(verdict, sentence, comparisons)
    }
    let interior = Array(ordered.dropFirst().dropLast())
    guard let rival = self.best(interior, goal: goal) else {
      if interior.allSatisfy(\.collapsed) {
        return finish(
          .fails, "Best \(name) \(describe(best, as: label(best))) is an end; every interior point mostly diverged.", []
        )
      }
      return finish(
        .inconclusive,
        "Best \(name) \(describe(best, as: label(best))) is an end; no interior point has finished runs.", [])
    }
    let c = compare(best, rival, sign: sign(goal), label: "\(label(best)) vs \(label(rival))")
    let verdict: Verdict = c.outcome == .aBetter ? .fails : .inconclusive
    let sentence =
      "Best \(name) \(describe(best, as: label(best))) is an end of the grid; against the best interior "
      + "\(describe(rival, as: label(rival))) it is \(verdict == .fails ? "significantly" : "not significantly") better "
      + "by \(difference(c))\(pairedText(c))."
    return finish(verdict, sentence, [c])
  }

  /// Per-seed differences between the `a` and `b` points, averaged over pairs, positive = `a` better. Uses the
  /// seeds finished in every paired point. Returns the decided outcome when a side collapsed.
  private func pairedDifference(a: [String: ConfigValue], b: [String: ConfigValue], points: [GridPoint])
    -> Result<Comparison, PairingProblem>
  {
    let pairs: [PointPair]
    switch pairPoints(points, a: a, b: b) {
    case .failure(let problem): return .failure(PairingProblem(text: problem))
    case .success(let p): pairs = p
    }
    let byPoint = Dictionary(summaries.map { ($0.point, $0) }, uniquingKeysWith: { first, _ in first })
    let sa = pairs.map { byPoint[$0.a]! }
    let sb = pairs.map { byPoint[$0.b]! }
    let label = "\(sa.map(\.point.label).joined(separator: "; ")) vs \(sb.map(\.point.label).joined(separator: "; "))"
    let aCollapsed = sa.contains(where: \.collapsed)
    let bCollapsed = sb.contains(where: \.collapsed)
    if aCollapsed || bCollapsed {
      let outcome: Comparison.Outcome = aCollapsed == bCollapsed ? .neither : aCollapsed ? .bBetter : .aBetter
      let who = aCollapsed && bCollapsed ? "both sides" : aCollapsed ? "the a side" : "the b side"
      return .success(
        Comparison(
          label: label, meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: outcome,
          note: "\(who) mostly diverged"))
    }
    var seeds = Set(sa[0].values.keys)
    for s in sa + sb { seeds.formIntersection(s.values.keys) }
    let s = sign(naturalGoal(of: metric))
    let differences = seeds.sorted().map { seed in
      zip(sa, sb).reduce(0.0) { $0 + s * ($1.0.values[seed]! - $1.1.values[seed]!) } / Double(pairs.count)
    }
    return .success(Comparison(label: label, differences: differences))
  }

  /// `better_than`: holds when the lower 95% bound of (a − b, positive = a better) exceeds `margin`; fails when
  /// the upper bound is below 0 (b significantly better); otherwise inconclusive.
  func betterThan(a: [String: ConfigValue], b: [String: ConfigValue], margin: Double, points: [GridPoint])
    -> ClaimEvaluation
  {
    let c: Comparison
    switch pairedDifference(a: a, b: b, points: points) {
    case .failure(let problem): return finish(.inconclusive, "Cannot pair a with b: \(problem.text).", [])
    case .success(let comparison): c = comparison
    }
    let verdict: Verdict
    if c.meanDiff == nil {
      verdict = c.outcome == .aBetter ? .holds : c.outcome == .bBetter ? .fails : .inconclusive
    } else if let lo = c.ciLow, lo > margin {
      verdict = .holds
    } else if let hi = c.ciHigh, hi < 0 {
      verdict = .fails
    } else {
      verdict = .inconclusive
    }
    let marginText = margin == 0 ? "" : " (required margin \(number(margin)))"
    return finish(
      verdict, "\(c.label): a − b = \(difference(c))\(pairedText(c))\(marginText), positive = a better.", [c])
  }

  /// `not_better_than`: holds when the upper 95% bound of (a − b, positive = a better) is below the minimum
  /// detectable effect (no gain as large as the experiment could detect); fails when the lower bound is above 0
  /// (a significantly better); otherwise inconclusive. The two conditions cannot both be true.
  func notBetterThan(a: [String: ConfigValue], b: [String: ConfigValue], points: [GridPoint]) -> ClaimEvaluation {
    let c: Comparison
    switch pairedDifference(a: a, b: b, points: points) {
    case .failure(let problem): return finish(.inconclusive, "Cannot pair a with b: \(problem.text).", [])
    case .success(let comparison): c = comparison
    }
    let verdict: Verdict
    if c.meanDiff == nil {
      verdict = c.outcome == .aBetter ? .fails : c.outcome == .bBetter ? .holds : .inconclusive
    } else if let lo = c.ciLow, lo > 0 {
      verdict = .fails
    } else if let hi = c.ciHigh, let mde = c.mde, hi < mde {
      verdict = .holds
    } else {
      verdict = .inconclusive
    }
    let mdeText = c.mde.map { ", minimum detectable effect \(number($0))\(percent ? " pt" : "")" } ?? ""
    return finish(verdict, "\(c.label): a − b = \(difference(c))\(pairedText(c))\(mdeText), positive = a better.", [c])
  }

  /// `monotone`: over the x grid up to `until`, holds when every consecutive mean moves in `direction` and
  /// last − first is significant in that direction; fails when last − first is significant in the opposite
  /// direction; otherwise inconclusive. A mostly diverged point anywhere on the path prevents "holds".
  func monotone(x: String, direction: ClaimCheck.Trend, until: ConfigValue?) -> ClaimEvaluation {
    guard var ordered = orderedAlong(x, summaries) else { return ambiguous(x) }
    if let until, let end = ordered.firstIndex(where: { $0.point.coordinates[x] == until }) {
      ordered = Array(ordered[...end])
    }
    guard ordered.count >= 2 else { return finish(.inconclusive, "Needs at least 2 values of \(x).", []) }
    let s: Double = direction == .increasing ? 1 : -1
    let first = ordered.first!
    let last = ordered.last!
    func label(_ p: PointSummary) -> String { xText(p.point.coordinates[x]) }
    let c = compare(last, first, sign: s, label: "\(label(last)) vs \(label(first))")
    let means = ordered.map(\.mean)
    let steps = zip(ordered, ordered.dropFirst()).filter { a, b in
      guard !a.collapsed, !b.collapsed, let ma = a.mean, let mb = b.mean else { return false }
      return s * (mb - ma) > 0
    }.count
    let path = means.map { $0.map(value) ?? "–" }.joined(separator: " → ")
    let verdict: Verdict =
      c.outcome == .aBetter && steps == ordered.count - 1 ? .holds : c.outcome == .bBetter ? .fails : .inconclusive
    let sentence =
      "Mean \(metric) along \(shortName(x)) \(ordered.map(label).joined(separator: ", ")): \(path); "
      + "\(steps) of \(ordered.count - 1) steps \(direction.rawValue == "increasing" ? "increase" : "decrease"); "
      + "\(direction == .increasing ? "last − first" : "first − last") \(difference(c))\(pairedText(c))."
    return finish(verdict, sentence, [c])
  }

  /// `most_stable`: holds when the expected x has the smallest across-seed sd and a one-sided F test of the
  /// runner-up's variance over its variance is significant at 5%; fails when another point has a smaller sd and
  /// the F test of the expected point's variance over that point's is significant (or the expected point mostly
  /// diverged); otherwise inconclusive. Points need at least 2 finished seeds to take part.
  func mostStable(x: String, expected: ConfigValue) -> ClaimEvaluation {
    guard orderedAlong(x, summaries) != nil else { return ambiguous(x) }
    guard let target = summaries.first(where: { $0.point.coordinates[x] == expected }) else {
      return finish(.inconclusive, "No point has \(x) = \(expected).", [])
    }
    let name = shortName(x)
    if target.collapsed {
      return finish(.fails, "Expected most stable \(name) \(xText(expected)) mostly diverged.", [])
    }
    let ranked = summaries.filter { !$0.collapsed && $0.sd != nil }.sorted { $0.sd! < $1.sd! }
    guard let targetSD = target.sd, ranked.count >= 2 else {
      return finish(
        .inconclusive, "Needs at least 2 points with 2 or more finished seeds, including \(xText(expected)).", [])
    }
    let isSmallest = ranked[0].point == target.point
    let other = isSmallest ? ranked[1] : ranked[0]
    let (numerator, denominator) = isSmallest ? (other, target) : (target, other)
    let ratio = pow(numerator.sd!, 2) / pow(denominator.sd!, 2)
    let critical = Statistics.fQuantile(0.95, d1: Double(numerator.n - 1), d2: Double(denominator.n - 1))
    let significant = ratio > critical
    let c = Comparison(
      label: "var(\(xText(numerator.point.coordinates[x]))) / var(\(xText(denominator.point.coordinates[x])))",
      meanDiff: ratio.isFinite ? ratio : nil, ciLow: nil, ciHigh: nil, n: min(numerator.n, denominator.n), mde: nil,
      outcome: significant ? (isSmallest ? .aBetter : .bBetter) : .neither,
      note:
        "one-sided F test, critical F_0.95(\(numerator.n - 1), \(denominator.n - 1)) = \(String(format: "%.3g", critical))"
    )
    let verdict: Verdict = significant ? (isSmallest ? .holds : .fails) : .inconclusive
    let ratioText = ratio.isFinite ? String(format: "%.3g", ratio) : "∞"
    let sentence =
      "sd of \(name) \(xText(expected)) is \(number(targetSD))"
      + (isSmallest ? ", the smallest; runner-up " : "; smallest is ")
      + "\(xText(other.point.coordinates[x])) with \(number(other.sd!)); variance ratio \(ratioText) vs critical "
      + "\(String(format: "%.3g", critical)) (\(significant ? "significant" : "not significant") at 5%)."
    return finish(verdict, sentence, [c])
  }
}

/// Why a check's a and b sides could not be paired.
struct PairingProblem: Error {
  var text: String
}

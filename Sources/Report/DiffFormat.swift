import Experiments
import Foundation

extension DiffReport {
  /// The report as pretty-printed JSON with sorted keys (and a final newline).
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// The report as Markdown: what changed first (one line per changed or incomparable experiment), then the
  /// method, then one table per experiment.
  public func markdown() -> String {
    var s = "# Results diff: `\(labelA)` → `\(labelB)`\n\n"
    let verdictChanges = experiments.filter { $0.notComparable == nil && $0.verdictChanged }.count
    let flagged = experiments.filter { $0.notComparable == nil }.flatMap(\.points).filter(\.flagged)
    let worse = flagged.filter { $0.change == .worse }.count
    let changed = experiments.filter(\.changed)
    if changed.isEmpty {
      s += notComparable.isEmpty ? "**No significant change**" : "**Nothing comparable changed**"
      let comparable = experiments.count - notComparable.count
      s += comparable == 0 ? " (no comparable experiment in both).\n\n" : " in \(comparable) experiment\(comparable == 1 ? "" : "s").\n\n"
    } else {
      s += hasRegression ? "**Regression.** " : "**Changed.** "
      s += "\(verdictChanges) verdict change\(verdictChanges == 1 ? "" : "s"), "
      s += "\(flagged.count) point change\(flagged.count == 1 ? "" : "s") (\(worse) worse).\n\n"
      for e in changed { s += "- " + headline(e) + "\n" }
      s += "\n"
    }
    if !notComparable.isEmpty {
      s += "**Not comparable** (not tested; exit 4 unless a regression is found):\n\n"
      for e in notComparable { s += "- `\(e.id)`: \(e.notComparable!)\n" }
      s += "\n"
    }
    if !added.isEmpty { s += "Added experiments: \(added.map { "`\($0)`" }.joined(separator: ", ")).\n\n" }
    if !removed.isEmpty { s += "Removed experiments: \(removed.map { "`\($0)`" }.joined(separator: ", ")).\n\n" }
    s += "Δ = mean(B) − mean(A) of the claim metric over finished seeds. A change is significant when the 95% "
    s += "t-interval of Δ excludes 0: paired by seed where both sides finished the same seeds, else Welch's "
    s += "t-interval. A move of at least \(Int(DiffReport.largeChange * 100))% of the base mean with too few seeds "
    s += "for a test (fewer than two a side) is flagged as large. A point that starts (or stops) diverging or "
    s += "stalling counts as significant. A verdict change includes one to or from proxy invalid (the proxy left or "
    s += "entered the claim's regime). Results at different scales or with different overrides are not compared.\n\n"
    for e in experiments { s += section(e) }
    return s
  }

  /// One line for the first screen: the experiment, its verdict change, and its largest flagged move.
  func headline(_ e: ExperimentDiff) -> String {
    var parts: [String] = []
    if e.verdictChanged { parts.append("verdict \(e.verdictA.rawValue) → \(e.verdictB.rawValue)") }
    let moved = e.points.filter(\.flagged)
    if !moved.isEmpty {
      let worse = moved.filter { $0.change == .worse }.count
      var text = "\(moved.count) point\(moved.count == 1 ? "" : "s") moved (\(worse) worse)"
      if let biggest = moved.filter({ $0.delta != nil }).max(by: { abs($0.delta!) < abs($1.delta!) }) {
        text += "; largest \(Fmt.signed(biggest.delta!, Fmt.decimals(for: e.metric))) at \(biggest.label)"
      }
      parts.append(text)
    }
    return "`\(e.id)` (\(e.metric)): " + parts.joined(separator: "; ")
  }

  private func section(_ e: ExperimentDiff) -> String {
    let verdict =
      e.verdictChanged
      ? "\(e.verdictA.badge) \(e.verdictA.rawValue) → \(e.verdictB.badge) \(e.verdictB.rawValue) (verdict changed)"
      : "\(e.verdictB.badge) \(e.verdictB.rawValue) (unchanged)"
    let direction = naturalGoal(of: e.metric) == .max ? "higher is better" : "lower is better"
    var s = "## \(e.id): \(verdict)\n\n"
    if let reason = e.notComparable { return s + "Not comparable: \(reason).\n\n" }
    s += "Metric `\(e.metric)` (\(direction))"
    s += e.changed ? ".\n\n" : "; no significant change.\n\n"
    for note in e.notes { s += "Note: \(note).\n\n" }
    if !e.points.isEmpty {
      s += "| point | n A | mean A | n B | mean B | Δ (B − A) | 95% CI of Δ | p | test | change |\n"
      s += "|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n"
      for p in e.points { s += row(p, metric: e.metric) + "\n" }
      s += "\n"
    }
    if !e.addedPoints.isEmpty { s += "Points only in B: \(e.addedPoints.joined(separator: "; ")).\n\n" }
    if !e.removedPoints.isEmpty { s += "Points only in A: \(e.removedPoints.joined(separator: "; ")).\n\n" }
    return s
  }

  private func row(_ p: PointDiff, metric: String) -> String {
    func mean(_ m: Double?, diverged: Int, stalled: Int) -> String {
      m.map { Fmt.metric($0, metric) } ?? (diverged == 0 ? "–" : diverged == stalled ? "stalled" : "diverged")
    }
    // Diverged and stalled runs are both left out of the mean; they are named apart because the causes differ.
    func count(_ n: Int, _ diverged: Int, _ stalled: Int) -> String {
      var lost: [String] = []
      if diverged > stalled { lost.append("+\(diverged - stalled) diverged") }
      if stalled > 0 { lost.append("+\(stalled) stalled") }
      return lost.isEmpty ? "\(n)" : "\(n) (\(lost.joined(separator: ", ")))"
    }
    var ci = "–"
    if let lo = p.ciLow, let hi = p.ciHigh { ci = "[\(Fmt.metric(lo, metric)), \(Fmt.metric(hi, metric))]" }
    var change: String
    switch p.change {
    case .worse: change = "**worse**"
    case .better: change = "better"
    case .none: change = "no significant change"
    }
    if p.large == true { change += " (large move, not testable)" }
    if let note = p.note { change += " (\(note))" }
    let cells = [
      Fmt.cell(p.label), count(p.nA, p.divergedA, p.stalledA),
      mean(p.meanA, diverged: p.divergedA, stalled: p.stalledA), count(p.nB, p.divergedB, p.stalledB),
      mean(p.meanB, diverged: p.divergedB, stalled: p.stalledB),
      p.delta.map { Fmt.signed($0, Fmt.decimals(for: metric)) } ?? "–", ci,
      p.pValue.map { Fmt.fixed($0, 3) } ?? "–", p.test.rawValue, Fmt.cell(change),
    ]
    return "| " + cells.joined(separator: " | ") + " |"
  }
}

import Experiments
import Foundation

extension DiffReport {
  /// The report as pretty-printed JSON with sorted keys (and a final newline).
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// The report as Markdown: a one-line summary, then one table per experiment.
  public func markdown() -> String {
    var s = "# Results diff: `\(labelA)` → `\(labelB)`\n\n"
    let verdictChanges = experiments.filter(\.verdictChanged).count
    let significant = experiments.flatMap(\.points).filter(\.significant)
    let worse = significant.filter { $0.change == .worse }.count
    if noSignificantChange {
      s += "**No significant change**"
      s +=
        experiments.isEmpty
        ? " (no experiment in both).\n\n"
        : " in \(experiments.count) experiment\(experiments.count == 1 ? "" : "s").\n\n"
    } else {
      s += hasRegression ? "**Regression.** " : "**Changed.** "
      s += "\(verdictChanges) verdict change\(verdictChanges == 1 ? "" : "s"), "
      s += "\(significant.count) significant point change\(significant.count == 1 ? "" : "s") (\(worse) worse).\n\n"
    }
    if !added.isEmpty { s += "Added experiments: \(added.map { "`\($0)`" }.joined(separator: ", ")).\n\n" }
    if !removed.isEmpty { s += "Removed experiments: \(removed.map { "`\($0)`" }.joined(separator: ", ")).\n\n" }
    s += "Δ = mean(B) − mean(A) of the claim metric over finished seeds. A change is significant when the 95% "
    s += "t-interval of Δ excludes 0: paired by seed where both sides finished the same seeds, else Welch's "
    s += "t-interval. A point that starts (or stops) diverging or stalling counts as significant. A verdict change "
    s += "includes one to or from proxy invalid (the proxy left or entered the claim's regime).\n\n"
    for e in experiments { s += section(e) }
    return s
  }

  private func section(_ e: ExperimentDiff) -> String {
    let verdict =
      e.verdictChanged
      ? "\(e.verdictA.badge) \(e.verdictA.rawValue) → \(e.verdictB.badge) \(e.verdictB.rawValue) (verdict changed)"
      : "\(e.verdictB.badge) \(e.verdictB.rawValue) (unchanged)"
    let direction = naturalGoal(of: e.metric) == .max ? "higher is better" : "lower is better"
    var s = "## \(e.id): \(verdict)\n\n"
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

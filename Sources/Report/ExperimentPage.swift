import Experiments
import Foundation

/// `Reports/<id>.md`: the claim, the paper's result, our setting, one table row per grid point (mean ± 95% CI over
/// seeds) and what the test set's own sampling adds, the figure, the verdict with the paper's effect beside ours,
/// the learning curves and the regime the claim needs, the comparisons, and a provenance footer. Arms read by the
/// spec's names (`names:`) wherever it gives them.
///
/// Deterministic: the same results give byte-identical Markdown. No timestamps; the only timing shown is the
/// training time summed over the runs, in the footer.
public enum ExperimentPage {
  /// The page's file name, `<id>.md`.
  public static func fileName(for results: ExperimentResults) -> String { "\(results.experimentID).md" }

  /// The page's Markdown.
  public static func markdown(for results: ExperimentResults) -> String {
    let layout = ExperimentLayout(results)
    let spec = results.spec
    var s = "# \(results.verdict.verdict.badge) \(spec.title)\n\n"
    s += "**Claim.** \(spec.claim.text)\n\n"
    s += "**Paper.** \(spec.paper.cite)"
    if let place = spec.paper.where { s += ", \(place)" }
    s += ".\n"
    if let result = spec.paper.result { s += "Reported result: \(result).\n" }
    s += "\n"
    s += "| | paper | ours |\n|---|---|---|\n"
    s += "| setting | \(Fmt.cell(spec.setting.paper)) | \(Fmt.cell(spec.setting.ours)) |\n"
    s += "| initialisation | | \(Fmt.cell(initialisation(results))) |\n"
    s += "\nMethod: `\(spec.method)`. "
    let seeds = spec.seeds.map(String.init).joined(separator: ", ")
    s += "Scale `\(results.scale)`; seeds \(seeds) (\(spec.seeds.count) per point); \(layout.rows.count) grid "
    s += "point\(layout.rows.count == 1 ? "" : "s"), \(results.runs.count) runs. Claim metric: `\(layout.metric)`.\n\n"
    if let overrides = results.overrides, !overrides.isEmpty {
      s += "**Run with overrides** (not the spec as committed): "
      s += overrides.map { "`--set \($0)`" }.joined(separator: " ") + ".\n\n"
    }
    s += "## Results\n\n"
    s += pointTable(layout)
    s += "\nMean ± half-width of the 95% t-interval over the seeds that finished; [lo, hi] is the interval. "
    s += "Diverged runs and stalled runs (that never trained) are counted, never averaged.\n\n"
    let sampling = testSetSampling(results)
    if !sampling.isEmpty { s += sampling + "\n" }
    s += tuningSection(results, layout: layout)
    s += "![\(Fmt.cell(spec.title))](figures/\(results.experimentID).svg)\n\n"
    if !spec.paper.points.isEmpty {
      s += "Open red circles (\"paper\", right axis): the paper's curve, "
      s += "\(spec.paper.pointsLabel ?? "in the paper's metric"); compare its shape with ours, not its level.\n\n"
    }
    s += verdictSection(results.verdict)
    s += paperBesideOurs(results)
    s += robustnessSection(results, layout: layout)
    s += curvesSection(results, layout: layout)
    s += regimeSection(results.verdict, layout: layout)
    s += calibrationSection(results)
    s += comparisonsSection(results.verdict)
    s += provenanceFooter(results)
    return s
  }

  /// The weight initialisation of the runs (`model.init`), named on every page because it can decide a contrast.
  static func initialisation(_ results: ExperimentResults) -> String {
    var schemes: [Initialization] = []
    for run in results.runs {
      let scheme = run.config[path: "model.init"]?.asString.flatMap(Initialization.init(rawValue:)) ?? .standard
      if !schemes.contains(scheme) { schemes.append(scheme) }
    }
    return schemes.map { "\($0.title) (`\($0.rawValue)`)" }.joined(separator: "; ")
  }

  /// The per-point table. The x column is left out when it would repeat the point's name.
  static func pointTable(_ layout: ExperimentLayout) -> String {
    let metric = layout.metric
    let transformLabel = layout.results.spec.report?.xTransformLabel ?? "1 − x"
    let xColumn = layout.xKey != nil && layout.rows.contains { layout.rawX($0) != $0.point.label }
    var header = ["point"]
    if xColumn, let xKey = layout.xKey { header.append("`\(xKey)`") }
    if layout.transform == .oneMinus && !layout.categorical { header.append(transformLabel) }
    header += ["n", "\(metric) mean ± 95% CI", "95% CI", "sd", "diverged"]
    header += layout.otherMetrics.map { "\($0) mean" }
    header.append("run time, s")
    var s = "| " + header.joined(separator: " | ") + " |\n"
    s += "|" + header.enumerated().map { $0.offset == 0 ? "---" : "--:" }.joined(separator: "|") + "|\n"
    for row in layout.rows {
      var cells = [Fmt.cell(row.point.label)]
      if xColumn { cells.append(Fmt.cell(layout.rawX(row))) }
      if layout.transform == .oneMinus && !layout.categorical {
        let x = layout.plotX(row)
        cells.append(x.isFinite ? Fmt.axis(x) : "–")
      }
      let summary = row.summary
      cells.append(String(summary.n))
      if row.isDiverged {
        cells += [row.divergedText, "–", "–"]
      } else if let mean = summary.mean {
        let half = row.halfWidth
        cells.append(Fmt.metric(mean, metric) + (half.map { " ± " + Fmt.metric($0, metric) } ?? ""))
        if let lo = summary.ciLow, let hi = summary.ciHigh {
          cells.append("[\(Fmt.metric(lo, metric)), \(Fmt.metric(hi, metric))]")
        } else {
          cells.append("–")
        }
        cells.append(summary.sd.map { Fmt.metric($0, metric) } ?? "–")
      } else {
        cells += [summary.nFailed > 0 ? "failed" : "no runs", "–", "–"]
      }
      cells.append(divergedCell(row))
      for name in layout.otherMetrics {
        cells.append(row.isDiverged ? "–" : row.otherMeans[name].map { Fmt.metric($0, name) } ?? "–")
      }
      cells.append(meanWallSeconds(layout.results, row.point.coordinates))
      s += "| " + cells.joined(separator: " | ") + " |\n"
    }
    return s
  }

  /// Mean wall time of the point's runs (training plus its evaluation; Stochastic Depth's saving shows here).
  /// Runs of one spec share the machine and the `--jobs` setting, so compare within a page, not across.
  static func meanWallSeconds(_ results: ExperimentResults, _ point: [String: ConfigValue]) -> String {
    let times = results.runs.filter { $0.point == point }.map(\.wallSeconds)
    guard !times.isEmpty else { return "–" }
    return String(Int((times.reduce(0, +) / Double(times.count)).rounded()))
  }

  private static func divergedCell(_ row: PointRow) -> String {
    let summary = row.summary
    var parts: [String] = []
    if row.nDivergedOnly > 0 {
      let steps = row.divergedSteps.map(String.init).joined(separator: ", ")
      parts.append(steps.isEmpty ? "\(row.nDivergedOnly)" : "\(row.nDivergedOnly) (step \(steps))")
    } else if row.nStalled == 0 {
      parts.append("0")
    }
    if row.nStalled > 0 { parts.append("\(row.nStalled) stalled (never trained)") }
    if summary.nFailed > 0 { parts.append("\(summary.nFailed) failed") }
    return parts.joined(separator: ", ")
  }

  /// The verdict, its explanation and the verdict of every part (`all` sub-checks, `by` groups).
  static func verdictSection(_ verdict: ClaimEvaluation) -> String {
    var s = "## Verdict: \(verdict.verdict.badge) \(verdict.verdict.rawValue)\n\n"
    s += verdict.explanation + "\n\n"
    // A claim not testable at this budget has no verdict for its parts either: their numbers, without badges.
    let lines = partLines(verdict.parts, depth: 0, badges: verdict.verdict != .notTestable)
    if !lines.isEmpty { s += lines.joined(separator: "\n") + "\n\n" }
    return s
  }

  private static func partLines(_ parts: [ClaimEvaluation], depth: Int, badges: Bool) -> [String] {
    parts.flatMap { part -> [String] in
      let indent = String(repeating: "  ", count: depth)
      let name = part.label.isEmpty ? part.metric : part.label
      let line = "\(indent)- \(badges ? part.verdict.badge + " " : "")**\(name)**: \(part.explanation)"
      return [line] + partLines(part.parts, depth: depth + 1, badges: badges)
    }
  }

  /// Every paired comparison behind the verdict (parts included), each with the metric it compares.
  static func comparisonsSection(_ verdict: ClaimEvaluation) -> String {
    let rows = collectComparisons(verdict, prefix: "")
    guard !rows.isEmpty else { return "" }
    var s = "### Comparisons\n\n"
    s += "Paired over seeds finished in both; difference favours the first-named side when positive; "
    s += "MDE = minimum detectable effect at 80% power.\n\n"
    s += "| comparison | metric | n | difference | 95% CI | MDE | outcome | note |\n"
    s += "|---|---|--:|--:|--:|--:|---|---|\n"
    for (label, metric, c) in rows {
      let diff = c.meanDiff.map { Fmt.signed($0, Fmt.decimals(for: metric)) } ?? "–"
      var ci = "–"
      if let lo = c.ciLow, let hi = c.ciHigh { ci = "[\(Fmt.metric(lo, metric)), \(Fmt.metric(hi, metric))]" }
      let mde = c.mde.map { Fmt.metric($0, metric) } ?? "–"
      let outcome: String
      switch c.outcome {
      case .aBetter: outcome = "first better"
      case .bBetter: outcome = "second better"
      case .neither: outcome = "no significant difference"
      }
      s += "| \(Fmt.cell(label)) | `\(metric)` | \(c.n) | \(diff) | \(ci) | \(mde) | \(outcome) "
      s += "| \(Fmt.cell(c.note ?? "")) |\n"
    }
    return s + "\n"
  }

  /// Every comparison of the evaluation and its parts, labelled with the part it belongs to, with its metric (the
  /// first one of a part that reads several).
  static func collectComparisons(_ e: ClaimEvaluation, prefix: String) -> [(
    label: String, metric: String, comparison: Comparison
  )] {
    let here = e.label.isEmpty ? prefix : (prefix.isEmpty ? e.label : "\(prefix) / \(e.label)")
    let metric = e.metric.components(separatedBy: ", ").first ?? e.metric
    let own = e.comparisons.map { (here.isEmpty ? $0.label : "\(here): \($0.label)", metric, $0) }
    return own + e.parts.flatMap { collectComparisons($0, prefix: here) }
  }

  /// Where the numbers came from; the only place with timing.
  static func provenanceFooter(_ results: ExperimentResults) -> String {
    let p = results.provenance
    var s = "---\n\n"
    s += "Provenance: commit `\(p.gitCommit)`\(p.gitDirty ? " (dirty: uncommitted changes)" : " (clean)")"
    s += "; engine \(p.engineVersion); spec hash `\(String(p.specHash.prefix(16)))`; \(p.swiftVersion)"
    s += "; OpenBLAS core \(p.blasCoreType)"
    if !p.blasConfig.isEmpty { s += " (\(p.blasConfig))" }
    s += "; oneDNN \(p.dnnlVersion) ISA \(p.dnnlISA); CPU \(p.cpuModel)"
    // Training time summed over the runs (each on one core): unlike the invocation's wall time it does not shrink
    // when the results are re-assembled from the cache.
    let training = results.runs.reduce(0) { $0 + $1.wallSeconds }
    s += "; training time \(Fmt.duration(training)) summed over \(results.runs.count) runs (one core each).\n"
    return s
  }
}

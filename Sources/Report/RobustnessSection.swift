import Experiments
import Foundation
import NumberFormat

extension ExperimentPage {
  /// The spec's robustness axis beside the verdict (`RobustnessAxis`): each arm it ran again, its claim metric as
  /// run and under the variant, and its paired difference from the regime's reference arm under both (when the
  /// axis ran the reference). Description only — no
  /// check reads these runs, and the section says so. Empty when the spec declares no axis or its runs are absent.
  static func robustnessSection(_ results: ExperimentResults, layout: ExperimentLayout) -> String {
    guard let axis = results.spec.robustness, let variantRuns = results.robustnessRuns, !variantRuns.isEmpty else {
      return ""
    }
    let metric = layout.metric
    let rows = layout.rows.filter { axis.chooses($0.point) }
    func variantSummary(_ row: PointRow) -> PointSummary {
      PointSummary(point: row.point, metric: metric, runs: variantRuns.filter { Self.isVariant($0, of: row.point) })
    }
    var s = "### Robustness: \(axis.title)\n\n"
    let setting = axis.settings.keys.sorted().map { "`\($0)=\(axis.settings[$0]!)`" }.joined(separator: ", ")
    s += "The arms below were trained again with \(setting), on the verdict's seeds. **Not part of the verdict**: no "
    s += "check or regime condition reads these runs; they show whether the contrasts hang on this setting.\n\n"
    s += "| arm | `\(metric)` as run | with \(setting) |\n|---|--:|--:|\n"
    for row in rows {
      s += "| \(Fmt.cell(row.point.label)) | \(Self.meanCI(row.summary)) | \(Self.meanCI(variantSummary(row))) |\n"
    }
    // Paired differences from the regime's reference, where the axis ran it: a row is paired with the reference
    // point that shares its other coordinates (its dataset, say).
    let selector = results.spec.claim.regime?.reference ?? [:]
    let referenceRows = rows.filter { !selector.isEmpty && $0.point.matches(selector) }
    let pairs = rows.compactMap { row -> (PointRow, PointRow)? in
      guard !row.point.matches(selector) else { return nil }
      let ref = referenceRows.first { ref in
        row.point.coordinates.allSatisfy { key, value in selector[key] != nil || ref.point.coordinates[key] == value }
      }
      return ref.map { (row, $0) }
    }
    guard !pairs.isEmpty else { return s + "\n" }
    s += "\nPaired over seeds, each arm minus its reference (mean [95% CI]):\n\n"
    s += "| arm − reference | as run | with \(setting) |\n|---|--:|--:|\n"
    for (row, ref) in pairs {
      let asRun = Self.pairedDifference(row.summary, ref.summary)
      let variant = Self.pairedDifference(variantSummary(row), variantSummary(ref))
      s += "| \(Fmt.cell(row.point.label)) − \(Fmt.cell(ref.point.label)) | \(asRun) | \(variant) |\n"
    }
    return s + "\n"
  }

  /// Whether `run` is the robustness variant of `point`: its coordinates are the point's plus the axis's own.
  static func isVariant(_ run: RunRecord, of point: GridPoint) -> Bool {
    RobustnessAxis.claimCoordinates(ofVariant: run.point) == point.coordinates
  }

  static func meanCI(_ summary: PointSummary) -> String {
    guard let mean = summary.mean else { return "–" }
    let values = summary.values.keys.sorted().map { summary.values[$0]! }  // seed order, as `seedOrderMean`
    let half = Statistics.ciHalfWidth95(values).map { " ± \(Fmt.decimals($0, 2))" } ?? ""
    return "\(Fmt.decimals(mean, 2))\(half) (n = \(summary.n))"
  }

  static func pairedDifference(_ a: PointSummary, _ b: PointSummary) -> String {
    let seeds = Set(a.values.keys).intersection(b.values.keys).sorted()
    guard !seeds.isEmpty else { return "–" }
    let differences = seeds.map { a.values[$0]! - b.values[$0]! }
    let mean = Statistics.mean(differences)
    guard let half = Statistics.ciHalfWidth95(differences) else {
      return "\(Fmt.decimals(mean, 2, sign: true)) (n = \(seeds.count))"
    }
    return "\(Fmt.decimals(mean, 2, sign: true)) [\(Fmt.decimals(mean - half, 2, sign: true)), "
      + "\(Fmt.decimals(mean + half, 2, sign: true))] (n = \(seeds.count))"
  }
}

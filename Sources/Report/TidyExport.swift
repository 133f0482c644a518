import Experiments
import Foundation

/// Every run of some results as tidy CSV (RFC 4180): one row per run and final metric, with the experiment, its
/// scale and overrides, the grid point, the seed, the run's status, and provenance — what pandas' `read_csv` and
/// R's `read.csv` take as is.
public enum TidyExport {
  public static let columns = [
    "experiment", "scale", "overrides", "point", "seed", "status", "metric", "value", "run_key", "git_commit",
    "spec_hash", "engine_source",
  ]

  /// The CSV text (header first, rows in experiment, point, seed and metric order; a final newline).
  public static func csv(_ results: [ExperimentResults]) -> String {
    var lines = [columns.joined(separator: ",")]
    for r in results.sorted(by: { $0.experimentID < $1.experimentID }) {
      let points = r.spec.sweep.points()
      func point(_ run: RunRecord) -> (label: String, index: Int) {
        guard let p = points.first(where: { $0.coordinates == run.point }) else { return ("?", Int.max) }
        return (p.label, p.index)
      }
      let runs = r.runs.map { ($0, point($0)) }.sorted { ($0.1.index, $0.0.seed) < ($1.1.index, $1.0.seed) }
      for (run, p) in runs {
        // A run without final metrics (diverged, failed) still gets a row, so counts of runs add up.
        let metrics = run.final.isEmpty ? [("", Double.nan)] : run.final.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        for (metric, value) in metrics {
          let fields = [
            r.experimentID, r.scale, (r.overrides ?? []).joined(separator: " "), p.label, String(run.seed),
            run.status.rawValue, metric, value.isNaN ? "" : number(value), run.key, r.provenance.gitCommit,
            r.provenance.specHash, r.provenance.engineVersion,
          ]
          lines.append(fields.map(quoted).joined(separator: ","))
        }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Shortest decimal that reads back as the same Double (Swift's description), infinities as `inf`/`-inf`.
  static func number(_ value: Double) -> String {
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return "\(value)"
  }

  /// A field quoted when it holds a comma, a quote or a line break (quotes doubled).
  static func quoted(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

import Experiments
import Foundation

/// The results summary in the project's README, between two marker lines, generated from the stored results so
/// it is never a hand-kept copy: the verdict counts and the experiments under each verdict, linked to their pages.
public enum ReadmeSummary {
  public static let begin = "<!-- results-summary:begin -->"
  public static let end = "<!-- results-summary:end -->"

  /// The summary's lines (without markers). `reportsPath` is the reports folder as the README links it.
  public static func markdown(_ results: [ExperimentResults], reportsPath: String = "Reports") -> String {
    let scales = Set(results.map(\.scale)).sorted()
    var s = "\(results.count) claims (\(scales.joined(separator: ", ")) scale), verdicts recomputed by `dropbench report` "
    s += "from `\(reportsPath)/results`:\n\n"
    for verdict in Verdict.allCases {
      let ids = results.filter { $0.verdict.verdict == verdict }.map(\.experimentID).sorted()
      let list = ids.isEmpty ? "—" : ids.map { "[\($0)](\(reportsPath)/\($0).md)" }.joined(separator: ", ")
      s += "- **\(verdict.rawValue)** (\(ids.count)): \(list)\n"
    }
    return s
  }

  /// `readme` with the text between the markers replaced by `summary`, or nil when the markers are missing or out
  /// of order (the README is then left alone).
  public static func splice(_ summary: String, into readme: String) -> String? {
    guard let start = readme.range(of: begin), let stop = readme.range(of: end, range: start.upperBound..<readme.endIndex)
    else { return nil }
    return String(readme[..<start.upperBound]) + "\n" + summary + String(readme[stop.lowerBound...])
  }
}

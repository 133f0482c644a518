import Foundation

/// `dropbench list`: one row per experiment with its runs per scale and its last verdict.
public enum ExperimentList {
  public struct Row: Codable, Sendable, Equatable {
    public var id: String
    public var method: String
    public var title: String
    public var runs: [String: Int]
    public var verdict: String?

    public init(id: String, method: String, title: String, runs: [String: Int], verdict: String?) {
      self.id = id
      self.method = method
      self.title = title
      self.runs = runs
      self.verdict = verdict
    }
  }

  /// The rows as a Markdown table; a scale a spec lacks shows "–", an experiment without results "not run".
  public static func markdown(_ rows: [Row]) -> String {
    var md = "| experiment | method | smoke | default | full | last verdict |\n|---|---|---|---|---|---|\n"
    for r in rows {
      let counts = ["smoke", "default", "full"].map { r.runs[$0].map(String.init) ?? "–" }
      md += "| \(r.id) | \(r.method) | \(counts.joined(separator: " | ")) | \(r.verdict ?? "not run") |\n"
    }
    return md
  }
}

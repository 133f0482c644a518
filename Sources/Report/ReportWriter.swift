import Experiments
import Foundation

/// Writes the whole `Reports/` tree from stored results: `<id>.md`, `README.md`, `figures/<id>.{dat,gp}` and,
/// when rendering, `figures/<id>.{svg,png}`.
public enum ReportWriter {
  /// What `writeAll` did.
  public struct Summary: Sendable, Equatable {
    /// Files whose bytes changed (or that were new), relative to the reports directory, sorted.
    public var written: [String]
    /// Files already up to date, relative to the reports directory, sorted.
    public var unchanged: [String]
    /// Experiment ids whose figure was rendered with gnuplot.
    public var rendered: [String]
  }

  /// Writes every page, the verdict table and the figure sources, rewriting only files whose bytes change.
  ///
  /// With `render`, gnuplot draws a figure whose `.dat` or `.gp` changed or whose `.svg`/`.png` is missing; a
  /// missing gnuplot is an error saying how to install it.
  /// - Parameters:
  ///   - results: one entry per experiment (as `ResultsStore.loadAll` returns).
  ///   - reportsDirectory: usually `Reports`.
  ///   - taxonomy: method (regularizer name) → taxonomy group, for the verdict table.
  ///   - render: run gnuplot to produce `.svg` and `.png`.
  @discardableResult
  public static func writeAll(
    results: [ExperimentResults], to reportsDirectory: URL, taxonomy: [String: String], render: Bool
  ) throws -> Summary {
    let figures = reportsDirectory.appendingPathComponent("figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    var summary = Summary(written: [], unchanged: [], rendered: [])
    func write(_ text: String, _ relative: String) throws -> Bool {
      let changed = try writeIfChanged(Data(text.utf8), to: reportsDirectory.appendingPathComponent(relative))
      if changed { summary.written.append(relative) } else { summary.unchanged.append(relative) }
      return changed
    }
    for r in results.sorted(by: { $0.experimentID < $1.experimentID }) {
      let id = r.experimentID
      _ = try write(ExperimentPage.markdown(for: r), ExperimentPage.fileName(for: r))
      let figure = Figure(results: r)
      let dataChanged = try write(figure.data, "figures/\(id).dat")
      let scriptChanged = try write(figure.script, "figures/\(id).gp")
      guard render else { continue }
      let outputsExist = ["svg", "png"].allSatisfy {
        FileManager.default.fileExists(atPath: figures.appendingPathComponent("\(id).\($0)").path)
      }
      if dataChanged || scriptChanged || !outputsExist {
        try Figure.render(scriptPath: figures.appendingPathComponent("\(id).gp").path)
        summary.rendered.append(id)
      }
    }
    _ = try write(VerdictTable.markdown(for: results, taxonomy: taxonomy), "README.md")
    summary.written.sort()
    summary.unchanged.sort()
    return summary
  }

  /// Writes `data` atomically unless the file already holds exactly these bytes; returns whether it wrote.
  @discardableResult
  public static func writeIfChanged(_ data: Data, to url: URL) throws -> Bool {
    if let existing = FileManager.default.contents(atPath: url.path), existing == data { return false }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url, options: .atomic)
    return true
  }
}

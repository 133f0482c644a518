import Experiments
import Foundation
import Subprocesses

/// The figure of one experiment: `Reports/figures/<id>.dat` (gnuplot data) and `<id>.gp` (a self-contained
/// script writing `<id>.svg` and `<id>.png` next to itself).
///
/// The data has one block per series (the values of the sweep axes other than x), columns
/// `x mean ci_low ci_high n`; diverged points are left out of the lines and listed in a comment. The script
/// `cd`s into its own directory (from gnuplot's `ARG0`), so `gnuplot Reports/figures/<id>.gp` from the repository
/// root and `gnuplot <id>.gp` inside `Reports/figures` both work. `report.paper_x` is read in the figure's x
/// units (after `x_transform`, or a category name for categorical x) and marked with a dashed line.
///
/// `paper.points`, when given, are the paper's curve in the same plotted x units: the last block of the data
/// (columns `x y`), drawn as open red circles on a second, red y axis (the paper's metric rarely matches ours, so
/// the shapes are compared, not the levels) with the legend "paper (<its setting>)"; with no finished runs of ours
/// nothing is drawn.
///
/// Every figure is titled by the claim's question (`claim.question`, else "<metric> vs <axis>") and stamped with
/// the scale and seed count it was run at. Arms (a categorical x) sit at named tics with no line between them.
public struct Figure: Sendable, Equatable {
  /// The experiment id: the stem of every file of the figure.
  public let id: String
  /// The text of `<id>.dat`.
  public let data: String
  /// The text of `<id>.gp`.
  public let script: String

  /// Builds the figure of `results`. `taxonomy` (method → Kukačka category) colours a comparison of methods.
  public init(results: ExperimentResults, taxonomy: [String: String] = [:]) {
    let layout = ExperimentLayout(results)
    id = results.experimentID
    if layout.isMethodComparison {
      let comparison = ComparisonFigure(layout: layout, taxonomy: taxonomy)
      data = comparison.data
      script = Self.header(layout) + "set terminal svg size 900,720 font 'DejaVu Sans,11'\nset termoption noenhanced\n"
        + "set output \(Self.quote("\(id).svg"))\n" + comparison.panels(id: id)
        + "\nset terminal pngcairo size 900,720 font 'DejaVu Sans,11'\nset termoption noenhanced\n"
        + "set output \(Self.quote("\(id).png"))\n" + comparison.panels(id: id) + "set output\n"
      return
    }
    let plotted = Self.plottedSeries(layout)
    data = Self.dataText(layout, plotted: plotted)
    script = Self.scriptText(layout, plotted: plotted)
  }

  /// The series that have at least one plottable point, with the x used for each point (categorical series are
  /// offset a little so their error bars do not overlap).
  private static func plottedSeries(_ layout: ExperimentLayout) -> [(
    label: String, points: [(x: Double, row: PointRow)]
  )] {
    let count = Double(layout.series.count)
    return layout.series.enumerated().compactMap { (i, series) in
      let offset = layout.categorical && count > 1 ? (Double(i) - (count - 1) / 2) * 0.12 : 0
      let points = series.rows
        .filter { !$0.isDiverged && $0.summary.mean != nil && layout.plotX($0).isFinite }
        .map { (x: layout.plotX($0) + offset, row: $0) }
      return points.isEmpty ? nil : (series.label, points)
    }
  }

  private static func dataText(
    _ layout: ExperimentLayout, plotted: [(label: String, points: [(x: Double, row: PointRow)])]
  ) -> String {
    let spec = layout.results.spec
    var s = "# \(spec.id): \(spec.title)\n"
    s += "# y: \(layout.metric), mean over finished seeds with its 95% t-interval; x: \(xLabel(layout))\n"
    s += "# columns: x mean ci_low ci_high n (ci_low = ci_high = mean when n = 1)\n"
    if layout.categorical {
      let names = layout.categories.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ")
      s += "# categorical x positions: \(names)\n"
    }
    for row in layout.rows where row.isDiverged || row.summary.mean == nil {
      let why = row.isDiverged ? row.divergedText : (row.summary.nFailed > 0 ? "failed" : "no runs")
      s += "# not plotted: \(row.point.label): \(why)\n"
    }
    if plotted.isEmpty { s += "# no finished runs to plot\n" }
    for (i, series) in plotted.enumerated() {
      s += i == 0 ? "\n" : "\n\n"
      s += "# series \(i): \(series.label.isEmpty ? "all points" : series.label)\n"
      for (x, row) in series.points {
        let mean = row.summary.mean!
        let lo = row.summary.ciLow ?? mean
        let hi = row.summary.ciHigh ?? mean
        s +=
          [Fmt.axis(x), Fmt.fixed(mean, 4), Fmt.fixed(lo, 4), Fmt.fixed(hi, 4), String(row.summary.n)]
          .joined(separator: " ") + "\n"
      }
    }
    let paper = spec.paper.points
    if !paper.isEmpty {
      s += plotted.isEmpty ? "\n" : "\n\n"
      let what = spec.paper.pointsLabel ?? "the paper's metric"
      s += "# series \(plotted.count) (paper, y2 axis): \(what); columns: x y\n"
      for point in paper where point.count == 2 { s += "\(Fmt.axis(point[0])) \(Fmt.axis(point[1]))\n" }
    }
    return s
  }

  private static func scriptText(
    _ layout: ExperimentLayout, plotted: [(label: String, points: [(x: Double, row: PointRow)])]
  ) -> String {
    let id = layout.results.experimentID
    let spec = layout.results.spec
    var s = header(layout)
    s += "set terminal svg size 720,440 font 'DejaVu Sans,11'\n"
    s += "set termoption noenhanced\n"
    s += "set output \(quote("\(id).svg"))\n"
    s += "set title \(quote(title(layout)))\n"
    s += stamp(layout.results, at: "screen 0.99, screen 0.975")
    s += "set xlabel \(quote(xLabel(layout)))\n"
    s += "set ylabel \(quote(spec.report?.yLabel ?? Fmt.metricName(layout.metric)))\n"
    let paper = !plotted.isEmpty && !spec.paper.points.isEmpty
    if paper {
      // The paper's curve gets its own axis on the right, in the paper's colour; the left tics stop mirroring.
      s += "set y2label \(quote(spec.paper.pointsLabel ?? "paper")) tc rgb '\(paperColour)'\n"
      s += "set ytics nomirror\n"
      s += "set y2tics tc rgb '\(paperColour)'\n"
    }
    s += "set grid ytics\n"
    s += "set key outside below\n"
    let xs = plotted.flatMap { $0.points.map(\.x) }
    if layout.categorical {
      // Arms are categories: one named tic each, no line joining them (their order is the spec's, not a scale).
      let tics = layout.categories.enumerated().map { "\(quote($0.element)) \($0.offset)" }.joined(separator: ", ")
      let longest = layout.categories.map(\.count).max() ?? 0
      let crowded = layout.categories.count > 4 || longest > 14
      s += "set xtics (\(tics))\(crowded ? " rotate by 30 right" : "")\n"
      s += "set xrange [-0.5:\(Fmt.axis(Double(layout.categories.count) - 0.5))]\n"
      // Slanted names hang below and to the left of their tics: room below for the longest, none needed right.
      if crowded { s += "set bmargin \(longest * 3 / 10 + 4)\nset rmargin 4\n" }
      s += "set offsets 0, 0, graph 0.06, graph 0.06\n"
    } else {
      if spec.report?.logX == true, !xs.isEmpty, xs.allSatisfy({ $0 > 0 }) { s += "set logscale x\n" }
      s += "set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06\n"
    }
    if let x = paperX(layout) {
      let (lo, hi) = (xs.min() ?? x, xs.max() ?? x)
      let right = layout.categorical ? x > Double(layout.categories.count) / 2 : x > lo + 0.7 * (hi - lo)
      s += paperMarker(x, labelLeft: right)
    }
    if plotted.isEmpty {
      s += "set xrange [0:1]\nset yrange [0:1]\n"
      s += "set label \(quote("no finished runs to plot")) at graph 0.5, graph 0.5 center\n"
      s += "plot NaN notitle\n"
    } else {
      let style = layout.categorical ? "yerrorbars pt 7 ps 1.2 lw 1.5" : "yerrorlines pt 7 ps 0.8 lw 1.5"
      var clauses = plotted.enumerated().map { (i, series) in
        let file = i == 0 ? quote("\(id).dat") : "''"
        let title = series.label.isEmpty ? "notitle" : "title \(quote(series.label))"
        return "\(file) index \(i) using 1:2:3:4 with \(style) \(title)"
      }
      if paper {
        clauses.append(
          "'' index \(plotted.count) using 1:2 axes x1y2 with points pt 6 ps 1.4 lw 2 lc rgb '\(paperColour)' "
            + "title \(quote(paperLegend(spec)))")
      }
      s += "plot " + clauses.joined(separator: ", \\\n     ") + "\n"
    }
    s += "\nset terminal pngcairo size 720,440 font 'DejaVu Sans,11'\n"
    s += "set termoption noenhanced\n"
    s += "set output \(quote("\(id).png"))\n"
    s += "replot\n"
    s += "set output\n"
    return s
  }

  /// The script's opening lines: what it is, how to re-render it, and a `cd` into its own directory.
  static func header(_ layout: ExperimentLayout) -> String {
    header(id: layout.results.experimentID, title: layout.results.spec.title)
  }

  /// The opening lines of figure `id`'s script.
  static func header(id: String, title: String) -> String {
    var s = "# \(id): \(title)\n"
    s += "# Re-render with `gnuplot Reports/figures/\(id).gp` from the repository root, or `gnuplot \(id).gp` here.\n"
    s += "# Writes \(id).svg and \(id).png next to this script from \(id).dat.\n\n"
    s += "# Work in this script's own directory (ARG0 is the script path), so relative paths resolve anywhere.\n"
    s += "script_dir = '.'\n"
    s += "if (exists(\"ARG0\") && strlen(ARG0) > 0) {\n"
    s += "  i = strlen(ARG0)\n"
    s += "  while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }\n"
    s += "  if (i > 0) { script_dir = ARG0[1:i] }\n"
    s += "}\n"
    s += "cd script_dir\n\n"
    s += "set encoding utf8\n"
    return s
  }

  /// The x label: `report.x_label`, else the transform's label, else the axis's human name (`names`' `title`),
  /// else the sweep key ("arm" when the axis shows a zip's positions).
  static func xLabel(_ layout: ExperimentLayout) -> String {
    let report = layout.results.spec.report
    if let label = report?.xLabel { return label }
    if layout.transform == .oneMinus, let label = report?.xTransformLabel { return label }
    if let title = layout.xTitle { return title }
    guard let key = layout.xKey else { return "grid point" }
    if layout.categoricalPositions { return "arm" }
    return layout.transform == .oneMinus ? "1 − \(key)" : key
  }

  /// The figure's title: the claim's question, else a neutral "<metric> vs <axis>" ("by" for arms), never the
  /// claim's assertion.
  static func title(_ layout: ExperimentLayout) -> String {
    if let question = layout.results.spec.claim.question { return question }
    let metric = Fmt.metricWords(layout.metric)
    return layout.categorical ? "\(metric) by \(xLabel(layout))" : "\(metric) vs \(xLabel(layout))"
  }

  /// "default scale · 5 seeds": what the numbers were run at, on every figure.
  static func stampText(_ results: ExperimentResults) -> String {
    let n = results.spec.seeds.count
    let set = (results.overrides ?? []).isEmpty ? "" : " · --set " + results.overrides!.joined(separator: " ")
    return "\(results.scale) scale · \(n) seed\(n == 1 ? "" : "s")\(set)"
  }

  /// The stamp as a gnuplot label at `position`, tag 99 (set again, it replaces itself; a multiplot unsets it after
  /// its first panel, which draws it).
  static func stamp(_ results: ExperimentResults, at position: String) -> String {
    "set label 99 \(quote(stampText(results))) at \(position) right font ',9' tc rgb '#555555'\n"
  }

  /// The paper's values are drawn in this colour, on their own axis.
  static let paperColour = "#b2182b"

  /// "paper (ResNet-50 on ImageNet)": the legend of the paper's values, from the first clause of its setting.
  static func paperLegend(_ spec: ExperimentSpec) -> String {
    var setting = spec.setting.paper.components(separatedBy: ", ").first ?? spec.setting.paper
    if setting.count > 40 { setting = String(setting.prefix(39)) + "…" }
    return setting.isEmpty ? "paper" : "paper (\(setting))"
  }

  /// The dashed line at the paper's best x and its label, written on the side with room (left of the line for an
  /// x in the right half of the arms or the right 30% of our points).
  static func paperMarker(_ x: Double, labelLeft: Bool) -> String {
    let grey = "tc rgb '#555555'"
    var s = "set arrow from \(Fmt.axis(x)), graph 0 to \(Fmt.axis(x)), graph 1 nohead dashtype 2 lw 1.5 "
    s += "lc rgb '#555555'\n"
    s += "set label \(quote("paper's best")) at \(Fmt.axis(x)), graph 0.96 "
    s += labelLeft ? "offset character -0.6, 0 right \(grey)\n" : "offset character 0.6, 0 left \(grey)\n"
    return s
  }

  /// Where to draw "paper's best", in plotted x units: for arms, the first arm whose x value (or name) is
  /// `report.paper_x`.
  static func paperX(_ layout: ExperimentLayout) -> Double? {
    guard let value = layout.results.spec.report?.paperX else { return nil }
    if layout.categorical {
      if let text = value.asString, let i = layout.categories.firstIndex(of: text) { return Double(i) }
      guard let key = layout.xKey else { return nil }
      let shared = layout.sharedNames[key] ?? [:]
      return layout.rows.first { row in
        row.point.coordinates[key] == value || valueText(row.point.coordinates[key], shared: shared) == valueText(value)
      }.map(layout.plotX)
    }
    return value.asDouble
  }

  /// A gnuplot single-quoted string ('' stands for a quote inside).
  static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\n", with: " ") + "'"
  }
}

/// Why a figure could not be rendered.
public enum FigureError: Error, CustomStringConvertible, Equatable {
  /// No `gnuplot` on `PATH` (or at the given path).
  case gnuplotMissing(String)
  /// gnuplot ran and failed.
  case gnuplotFailed(script: String, status: Int32, stderr: String)
  /// gnuplot succeeded but an expected output file is missing.
  case outputMissing(String)

  public var description: String {
    switch self {
    case .gnuplotMissing(let what):
      return "\(what) not found; `make deps` installs gnuplot-nox (or pass --no-render to skip figures)"
    case .gnuplotFailed(let script, let status, let stderr):
      return "gnuplot \(script) failed (exit \(status)): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
    case .outputMissing(let file): return "gnuplot did not write \(file)"
    }
  }
}

extension Figure {
  /// Runs gnuplot on a figure script, which writes `<id>.svg` and `<id>.png` next to itself.
  ///
  /// - Parameters:
  ///   - scriptPath: the `.gp` file, passed to gnuplot as given (relative paths resolve against `directory`).
  ///   - directory: where gnuplot starts (the current directory when nil); the script `cd`s to its own directory.
  ///   - gnuplotPath: a gnuplot executable; nil runs `/usr/bin/env gnuplot`.
  public static func render(scriptPath: String, from directory: URL? = nil, gnuplotPath: String? = nil)
    throws(FigureError)
  {
    let program = gnuplotPath ?? "gnuplot"
    if let gnuplotPath {
      guard FileManager.default.isExecutableFile(atPath: gnuplotPath) else { throw .gnuplotMissing(gnuplotPath) }
    } else if !Subprocess.onPath("gnuplot") {
      throw .gnuplotMissing("gnuplot")
    }
    let output: Subprocess.Output
    do {
      output = try Subprocess.run([program, scriptPath], in: directory)
    } catch {
      throw .gnuplotMissing("\(program) (\(error.localizedDescription))")
    }
    if output.status == 127 { throw .gnuplotMissing(program) }
    guard output.status == 0 else {
      throw .gnuplotFailed(script: scriptPath, status: output.status, stderr: output.stderr)
    }
    let start = directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let script = scriptPath.hasPrefix("/") ? URL(fileURLWithPath: scriptPath) : start.appendingPathComponent(scriptPath)
    let base = script.standardizedFileURL.deletingPathExtension()
    for ext in ["svg", "png"] {
      let file = base.appendingPathExtension(ext).path
      guard FileManager.default.fileExists(atPath: file) else { throw .outputMissing(file) }
    }
  }
}

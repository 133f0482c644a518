import Experiments
import Foundation

/// The figure of a comparison of methods (the x axis is the `regularizer` arms): two panels sharing the arms.
///
/// - Top: the claim metric's mean with its 95% t-interval per arm, coloured by the method's taxonomy category
///   (Kukačka et al.: data, architecture, error term, regularization term, optimization; `none` in grey); a second
///   sweep axis (e.g. `eval.prune`) is a second point style. `paper.values` (the paper's number per method) are
///   open red circles on a second, red axis, labelled with the paper's setting ("paper (ResNet-50 on ImageNet)").
/// - Bottom: the train − test gap of the same runs (train − test accuracy, or train − test Dice), mean and 95%
///   interval over the finished seeds: how much each arm still over-fits.
///
/// Data: one block per (category, series) with columns `x mean ci_low ci_high n gap gap_low gap_high`, then the
/// paper's block (`x y`) when there is one.
struct ComparisonFigure {
  let layout: ExperimentLayout
  let taxonomy: [String: String]

  static let categoryOrder = ["none", "data", "architecture", "error-term", "regularization-term", "optimization", "other"]
  static let colours = [
    "none": "#404040", "data": "#1b9e77", "architecture": "#d95f02", "error-term": "#7570b3",
    "regularization-term": "#e7298a", "optimization": "#66a61e", "other": "#a6761d",
  ]
  static let pointTypes = [7, 5, 9, 11, 13]

  struct Block {
    var category: String
    var series: String
    var seriesIndex: Int
    var rows: [(x: Double, row: PointRow)]
  }

  func category(_ row: PointRow) -> String {
    guard let name = layout.methodName(row) else { return "other" }
    if name == "none" { return "none" }
    return taxonomy[name] ?? "other"
  }

  /// The train − test gap of one finished run, in points (the regime gate's metric pair).
  static func gap(_ final: [String: Double]) -> Double? { FitMetricPair.recorded(in: [final]).gap(final) }

  var blocks: [Block] {
    let seriesLabels = layout.series.map(\.label)
    let count = Double(seriesLabels.count)
    var out: [Block] = []
    for c in Self.categoryOrder {
      for (si, series) in layout.series.enumerated() {
        let offset = count > 1 ? (Double(si) - (count - 1) / 2) * 0.18 : 0
        let rows = series.rows.filter {
          category($0) == c && !$0.isDiverged && $0.summary.mean != nil && layout.plotX($0).isFinite
        }
        if !rows.isEmpty {
          out.append(
            Block(category: c, series: series.label, seriesIndex: si, rows: rows.map { (layout.plotX($0) + offset, $0) }))
        }
      }
    }
    return out
  }

  /// The paper's value beside every arm of a method it reports.
  var paperPoints: [(x: Double, y: Double)] {
    let values = layout.results.spec.paper.values
    guard !values.isEmpty else { return [] }
    var seen = Set<Double>()
    var out: [(Double, Double)] = []
    for row in layout.rows {
      guard let name = layout.methodName(row), let y = values[name] else { continue }
      let x = layout.plotX(row)
      if x.isFinite, seen.insert(x).inserted { out.append((x, y)) }
    }
    return out.sorted { $0.0 < $1.0 }
  }

  var data: String {
    let spec = layout.results.spec
    var s = "# \(spec.id): \(spec.title)\n"
    s += "# comparison of methods: y = \(layout.metric) (mean over finished seeds, 95% t-interval); gap = train − test "
    s += "of the same runs, in points\n"
    s += "# columns: x mean ci_low ci_high n gap gap_low gap_high (intervals collapse to the mean when n = 1)\n"
    s += "# arms: " + layout.categories.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ") + "\n"
    for row in layout.rows where row.isDiverged || row.summary.mean == nil {
      let why = row.isDiverged ? row.divergedText : (row.summary.nFailed > 0 ? "failed" : "no runs")
      s += "# not plotted: \(row.point.label): \(why)\n"
    }
    let blocks = self.blocks
    if blocks.isEmpty { s += "# no finished runs to plot\n" }
    for (i, block) in blocks.enumerated() {
      s += i == 0 ? "\n" : "\n\n"
      s += "# block \(i): \(block.category)\(block.series.isEmpty ? "" : ", \(block.series)")\n"
      for (x, row) in block.rows {
        let mean = row.summary.mean!
        let gaps = row.runs.filter { $0.status == .ok }.compactMap { Self.gap($0.final) }
        let gapMean = gaps.isEmpty ? Double.nan : Statistics.mean(gaps)
        let half = Statistics.ciHalfWidth95(gaps) ?? 0
        s += [
          Fmt.axis(x), Fmt.fixed(mean, 4), Fmt.fixed(row.summary.ciLow ?? mean, 4),
          Fmt.fixed(row.summary.ciHigh ?? mean, 4), String(row.summary.n),
          gaps.isEmpty ? "NaN" : Fmt.fixed(gapMean, 4), gaps.isEmpty ? "NaN" : Fmt.fixed(gapMean - half, 4),
          gaps.isEmpty ? "NaN" : Fmt.fixed(gapMean + half, 4),
        ].joined(separator: " ") + "\n"
      }
    }
    let paper = paperPoints
    if !paper.isEmpty, !blocks.isEmpty {
      s += "\n\n# block \(blocks.count) (paper, y2 axis): \(spec.paper.pointsLabel ?? "the paper's metric"); columns: x y\n"
      for (x, y) in paper { s += "\(Fmt.axis(x)) \(Fmt.axis(y))\n" }
    }
    return s
  }

  /// Tic labels: the arm's label, cut to 32 characters (the data file and the page's table have them in full).
  var ticLabels: [String] {
    layout.categories.map { $0.count > 32 ? String($0.prefix(31)) + "…" : $0 }
  }

  /// The plotting commands of both panels (emitted once per terminal: a multiplot cannot be replotted). The top
  /// panel takes 52% of the height with unlabelled tics; the bottom panel carries the arms' names.
  func panels(id: String) -> String {
    let spec = layout.results.spec
    let blocks = self.blocks
    let quote = Figure.quote
    let positions = ticLabels.enumerated()
    var s = "set multiplot title \(quote(Figure.title(layout)))\n"
    s += "set xrange [-0.6:\(Fmt.axis(Double(layout.categories.count) - 0.4))]\n"
    s += "set grid ytics\nset offsets 0, 0, graph 0.06, graph 0.06\n"
    // The legend sits right of the lower panel, where no second axis competes for the margin.
    s += "set key at screen 0.99, screen 0.44 right top font ',9'\n"
    s += "set lmargin 10\nset rmargin 26\n"
    s += "set origin 0,0.46\nset size 1,0.49\nset tmargin 1\nset bmargin 1\n"
    s += "set xtics (\(positions.map { "'' \($0.offset)" }.joined(separator: ", ")))\n"
    s += Figure.stamp(layout.results, at: "screen 0.99, screen 0.975")
    if blocks.isEmpty {
      s += "set yrange [0:1]\nset label \(quote("no finished runs to plot")) at graph 0.5, graph 0.5 center\n"
      s += "plot NaN notitle\nunset multiplot\n"
      return s
    }
    s += "set ylabel \(quote(spec.report?.yLabel ?? Fmt.metricName(layout.metric)))\n"
    let paper = paperPoints
    let red = Figure.paperColour
    if !paper.isEmpty {
      s += "set y2label \(quote(spec.paper.pointsLabel ?? "paper")) font ',9' tc rgb '\(red)'\nset ytics nomirror\n"
      s += "set y2tics tc rgb '\(red)'\n"
    }
    func clause(_ i: Int, _ block: Block, columns: String, titled: Bool) -> String {
      let file = i == 0 ? quote("\(id).dat") : "''"
      let pt = Self.pointTypes[block.seriesIndex % Self.pointTypes.count]
      let colour = Self.colours[block.category] ?? "#000000"
      let name = block.category == "none" ? "no regularizer" : block.category
      let title = titled ? "title \(quote(block.series.isEmpty ? name : "\(name), \(block.series)"))" : "notitle"
      return "\(file) index \(i) using \(columns) with yerrorbars pt \(pt) ps 1.1 lw 1.5 lc rgb '\(colour)' \(title)"
    }
    if let x = Figure.paperX(layout) {
      s += Figure.paperMarker(x, labelLeft: x > Double(layout.categories.count) / 2)
    }
    // Arms with no number (diverged or stalled on most seeds) are named in the top panel, not left blank.
    for row in layout.rows where row.isDiverged {
      let x = layout.plotX(row)
      guard x.isFinite else { continue }
      s += "set label \(quote(row.nStalled > 0 && row.nDivergedOnly == 0 ? "stalled" : "diverged")) at \(Fmt.axis(x)), graph 0.06 "
        + "rotate by 90 left tc rgb '#b2182b' font ',9'\n"
    }
    var top = blocks.enumerated().map { clause($0.offset, $0.element, columns: "1:2:3:4", titled: true) }
    if !paper.isEmpty {
      top.append(
        "'' index \(blocks.count) using 1:2 axes x1y2 with points pt 6 ps 1.6 lw 2 lc rgb '\(red)' "
          + "title \(quote(Figure.paperLegend(spec)))")
    }
    s += "plot " + top.joined(separator: ", \\\n     ") + "\n"
    if !paper.isEmpty { s += "unset y2label\nunset y2tics\nset ytics mirror\n" }
    s += "unset label\nunset arrow\n"
    s += "set origin 0,0\nset size 1,0.47\nset tmargin 0.5\nset bmargin 8\n"
    s += "set xtics (\(positions.map { "\(quote($0.element)) \($0.offset)" }.joined(separator: ", "))) rotate by -35 left font ',9'\n"
    s += "set ylabel 'train − test gap (pt)'\n"
    s += "plot " + blocks.enumerated().map { clause($0.offset, $0.element, columns: "1:6:7:8", titled: false) }
      .joined(separator: ", \\\n     ") + ", \\\n     0 with lines dashtype 2 lc rgb '#888888' notitle\n"
    s += "unset multiplot\n"
    return s
  }
}

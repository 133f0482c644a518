import Experiments
import Foundation

/// The learning curves of one experiment: `Reports/figures/<id>-curves.dat` and `<id>-curves.gp` (a script writing
/// `.svg` and `.png` next to itself, like the main figure's), drawn from the epochs every run record keeps.
///
/// One curve per trained arm: points that differ only in an evaluation setting (`eval.*`: pruning, width,
/// inference rule, class subset) are one trained net, so they share one curve, named as the first of them. Two
/// panels with one colour per arm: the test metric (left) and the train metric (right) of the pair the regime gate
/// reads (`FitMetricPair`: accuracy, Dice or MSE), each the mean over the seeds that finished, at every evaluated
/// epoch. Arms trained for very different numbers of epochs share a logarithmic epoch axis.
///
/// Data: one block per curve, columns `epoch train test n` (n: finished seeds with a test value at that epoch).
public struct CurvesFigure: Sendable, Equatable {
  /// The stem of every file of the figure.
  public let id: String
  /// The text of `<id>-curves.dat`.
  public let data: String
  /// The text of `<id>-curves.gp`.
  public let script: String

  /// `<experiment id>-curves`.
  public static func stem(_ experimentID: String) -> String { "\(experimentID)-curves" }

  struct Curve {
    var label: String
    /// The finished runs of the curve's arm.
    var runs: [RunRecord]
    /// (epoch, train mean, test mean, n) at every epoch a finished run evaluated.
    var points: [(epoch: Int, train: Double?, test: Double?, n: Int)]
  }

  public init(results: ExperimentResults) {
    let layout = ExperimentLayout(results)
    let pair = FitMetricPair.recorded(in: results.runs.filter { $0.status == .ok }.map(\.final))
    let curves = Self.curves(layout, pair: pair)
    id = Self.stem(results.experimentID)
    data = Self.dataText(results, curves: curves, pair: pair)
    script = Self.scriptText(results, id: id, curves: curves, pair: pair)
  }

  /// The curves in grid order: one per trained configuration.
  static func curves(_ layout: ExperimentLayout, pair: FitMetricPair) -> [Curve] {
    let spec = layout.results.spec
    let trainedAxes = spec.sweep.axes.filter { !$0.keys.allSatisfy { $0.hasPrefix("eval.") } }
    var seen: Set<[String: ConfigValue]> = []
    var curves: [Curve] = []
    for row in layout.rows {
      let trained = row.point.coordinates.filter { !$0.key.hasPrefix("eval.") }
      guard seen.insert(trained).inserted else { continue }
      let label =
        trainedAxes.isEmpty || trainedAxes.count == spec.sweep.axes.count
        ? row.point.label
        : ExperimentLayout.parts(row.point.coordinates, axes: trainedAxes, spec: spec, shared: layout.sharedNames)
          .map(\.text).joined(separator: ", ")
      let finished = row.runs.filter { $0.status == .ok }
      let epochs = Set(finished.flatMap { $0.epochs.map(\.epoch) }).sorted()
      let points = epochs.map { epoch -> (epoch: Int, train: Double?, test: Double?, n: Int) in
        let at = finished.compactMap { run in run.epochs.first { $0.epoch == epoch } }
        let train = at.compactMap { $0.metrics[pair.train] }.filter(\.isFinite)
        let test = at.compactMap { metricValue(pair.test, in: $0.metrics) }.filter(\.isFinite)
        return (
          epoch, train.isEmpty ? nil : Statistics.mean(train), test.isEmpty ? nil : Statistics.mean(test), test.count
        )
      }
      curves.append(Curve(label: label.isEmpty ? "all runs" : label, runs: finished, points: points))
    }
    return curves
  }

  private static func dataText(_ results: ExperimentResults, curves: [Curve], pair: FitMetricPair) -> String {
    let spec = results.spec
    var s = "# \(spec.id): \(spec.title)\n"
    s += "# learning curves: train (\(pair.train)) and test (\(pair.test)) per trained arm, mean over the seeds that "
    s += "finished, at every evaluated epoch\n"
    s += "# columns: epoch train test n\n"
    let plotted = curves.filter { !$0.points.isEmpty }
    for curve in curves where curve.points.isEmpty {
      s += "# not plotted: \(curve.label): no finished run recorded an epoch\n"
    }
    if plotted.isEmpty { s += "# no recorded epochs to plot\n" }
    for (i, curve) in plotted.enumerated() {
      s += i == 0 ? "\n" : "\n\n"
      s += "# curve \(i): \(curve.label) (\(curve.runs.count) finished run\(curve.runs.count == 1 ? "" : "s"))\n"
      for p in curve.points {
        let train = p.train.map { Fmt.fixed($0, 4) } ?? "NaN"
        let test = p.test.map { Fmt.fixed($0, 4) } ?? "NaN"
        s += "\(p.epoch) \(train) \(test) \(p.n)\n"
      }
    }
    return s
  }

  private static func scriptText(_ results: ExperimentResults, id: String, curves: [Curve], pair: FitMetricPair)
    -> String
  {
    let quote = Figure.quote
    let plotted = curves.filter { !$0.points.isEmpty }
    let title = "\(Fmt.metricWords(pair.test)) and \(Fmt.metricWords(pair.train)) vs epoch, per arm (mean over seeds)"
    var body = "set multiplot title \(quote(title))\n"
    body += Figure.stamp(results, at: "screen 0.99, screen 0.975")
    body += "set grid\nset xlabel 'epoch'\n"
    if plotted.isEmpty {
      body += "set xrange [0:1]\nset yrange [0:1]\n"
      body += "set label \(quote("no recorded epochs to plot")) at graph 0.5, graph 0.5 center\n"
      body += "plot NaN notitle\nunset multiplot\n"
      return Self.wrap(body, id: id, title: results.spec.title)
    }
    // Arms trained for 100 and for 3,000 epochs only both show on a logarithmic epoch axis.
    let ends = plotted.compactMap { $0.points.last?.epoch }.filter { $0 > 0 }
    if let lo = ends.min(), let hi = ends.max(), hi > 4 * lo { body += "set logscale x\n" }
    func clauses(column: Int, titled: Bool) -> String {
      plotted.indices.map { i in
        let file = i == 0 ? quote("\(id).dat") : "''"
        let style = "lc \(i % 8 + 1) dt \(i / 8 + 1) pt 7 ps 0.5 lw 1.5"
        let title = titled ? "title \(quote(plotted[i].label))" : "notitle"
        return "\(file) index \(i) using 1:\(column) with linespoints \(style) \(title)"
      }.joined(separator: ", \\\n     ")
    }
    body += "set lmargin at screen 0.07\nset rmargin at screen 0.38\nset tmargin at screen 0.85\n"
    body += "set bmargin at screen 0.12\n"
    body += "set title \(quote(Fmt.metricName(pair.test)))\n"
    body += "set key off\n"
    body += "plot " + clauses(column: 3, titled: false) + "\nunset label 99\n"
    body += "set lmargin at screen 0.45\nset rmargin at screen 0.76\n"
    body += "set title \(quote(Fmt.metricName(pair.train)))\n"
    body += "set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1\n"
    body += "plot " + clauses(column: 2, titled: true) + "\n"
    body += "unset multiplot\n"
    return Self.wrap(body, id: id, title: results.spec.title)
  }

  /// The script around the plotting commands, emitted once per terminal (a multiplot cannot be replotted).
  private static func wrap(_ body: String, id: String, title: String) -> String {
    var s = Figure.header(id: id, title: title)
    for (terminal, ext) in [("svg", "svg"), ("pngcairo", "png")] {
      s += "\nset terminal \(terminal) size 1100,480 font 'DejaVu Sans,11'\nset termoption noenhanced\n"
      s += "set output \(Figure.quote("\(id).\(ext)"))\n" + body
    }
    return s + "set output\n"
  }
}

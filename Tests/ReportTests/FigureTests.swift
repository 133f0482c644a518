import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct FigureDataTests {
  @Test func oneBlockPerSeriesWithColumns() throws {
    let figure = Figure(results: Fixtures.numeric())
    let blocks = figure.data.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 2)
    #expect(figure.data.contains("# columns: x mean ci_low ci_high n"))
    func rows(_ block: String) -> [[String]] {
      block.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
    }
    // Series set-a along retention p = 1 − rate, ascending: 0.1 (two seeds), 0.5, 1.
    let a = rows(blocks[0])
    #expect(a.map { $0[0] } == ["0.1", "0.5", "1"])
    #expect(a[1] == ["0.5", "91.0000", "90.2548", "91.7452", "3"])
    #expect(a[0][4] == "2")
    #expect(blocks[0].contains("# series 0: set-a"))
    // Series set-b: the diverged point is left out of the line and listed in a comment.
    let b = rows(blocks[1])
    #expect(b.map { $0[0] } == ["0.5", "1"])
    #expect(figure.data.contains("# not plotted: set-b, regularizer.rate=0.9: diverged at steps 40, 50, 60"))
  }

  @Test func scriptIsSelfContained() {
    let script = Figure(results: Fixtures.numeric()).script
    #expect(script.contains("set terminal svg size 720,440 font 'DejaVu Sans,11'"))
    #expect(script.contains("set output 'toy-p-sweep.svg'"))
    #expect(script.contains("set terminal pngcairo"))
    #expect(script.contains("set output 'toy-p-sweep.png'"))
    #expect(script.contains("cd script_dir"))
    #expect(script.contains("with yerrorlines"))
    #expect(script.contains("'toy-p-sweep.dat' index 0 using 1:2:3:4"))
    #expect(script.contains("'' index 1 using 1:2:3:4"))
    #expect(script.contains("set xlabel 'retention p'"))
    #expect(script.contains("set ylabel 'test accuracy (%)'"))
    #expect(script.contains("set arrow from 0.5, graph 0 to 0.5, graph 1 nohead dashtype 2"))
    #expect(script.contains("'paper''s best'"))
    #expect(!script.contains("/tmp"))
  }

  /// Arms of different methods are a comparison: two panels (the metric, then the train − test gap), points
  /// coloured by the method's taxonomy category, the arms named under the lower panel.
  @Test func aComparisonOfMethodsHasTaxonomyColouredPanels() {
    let figure = Figure(results: Fixtures.arms(), taxonomy: ["dropout": "architecture", "dropblock": "data"])
    // Titled as a neutral question of the data, never the claim's assertion (the spec's title).
    #expect(figure.script.contains("set multiplot title 'test Dice by regularizer'"))
    #expect(!figure.script.contains("DropBlock beats no regularization'"))
    #expect(figure.script.contains("set xtics ('none' 0, 'dropout' 1, 'dropblock' 2) rotate by -35"))
    #expect(figure.script.contains("set xtics ('' 0, '' 1, '' 2)"))
    #expect(figure.script.contains("lc rgb '#404040' title 'no regularizer'"))
    #expect(figure.script.contains("lc rgb '#d95f02' title 'architecture'"))
    #expect(figure.script.contains("lc rgb '#1b9e77' title 'data'"))
    #expect(figure.script.contains("set ylabel 'train − test gap (pt)'"))
    #expect(figure.script.contains("set arrow from 2, graph 0"))
    // Both terminals draw both panels: a multiplot cannot be replotted.
    #expect(figure.script.components(separatedBy: "set multiplot title").count == 3)
    #expect(figure.data.contains("# arms: 0 = none, 1 = dropout, 2 = dropblock"))
    // Blocks in category order (none, data, architecture); no train metric in these runs: the gap is NaN.
    let blocks = figure.data.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 3)
    #expect(blocks[1].hasPrefix("# block 1: data\n2 73.8333 "))
    #expect(blocks[2].hasSuffix("NaN NaN NaN\n"))
  }

  /// The gap panel's numbers: train − test Dice per run (5, 6, 7 pt), mean 6 with the 95% t-interval
  /// 6 ± 4.3027·1/√3; the paper's value per method on the second axis; an arm that diverged on every seed is named.
  @Test func comparisonGapPaperValuesAndDivergedArms() {
    var results = Fixtures.arms()
    results.runs = results.runs.map { run in
      var r = run
      r.final["train_dice"] = r.final["dice"]! + 5 + Double(r.seed)
      if r.point["regularizer"]?.asMap?["name"]?.asString == "dropout" {
        r.status = .diverged
        r.divergedAtStep = 10
        r.final = [:]
      }
      return r
    }
    results.spec.paper.values = ["dropblock": 78.1, "none": 76.5]
    results.spec.paper.pointsLabel = "ImageNet top-1 (%)"
    let figure = Figure(results: results, taxonomy: ["dropblock": "architecture"])
    #expect(figure.data.contains("0 70.0000 67.5159 72.4841 3 6.0000 3.5159 8.4841\n"))
    #expect(figure.data.contains("# not plotted: dropout: diverged at steps 10, 10, 10"))
    #expect(figure.script.contains("set label 'diverged' at 1, graph 0.06"))
    #expect(figure.data.hasSuffix("# block 2 (paper, y2 axis): ImageNet top-1 (%); columns: x y\n0 76.5\n2 78.1\n"))
    #expect(figure.script.contains("axes x1y2 with points pt 6"))
    #expect(figure.script.contains("set y2label 'ImageNet top-1 (%)'"))
  }

  /// Arms zipped with another key (no regularization at two weight decays) are told apart by that key: each its
  /// own category, named by the key's last part; a zipped key that tells nothing apart stays out of the names.
  @Test func zippedArmsAreToldApartByTheirPartner() {
    let spec = Fixtures.arms().spec
    let none = ConfigValue.map(["name": .string("none")])
    let dropout = ConfigValue.map(["name": .string("dropout"), "rate": .double(0.1)])
    func results(_ decays: [Double], _ fractions: [Double]) -> ExperimentResults {
      var s = spec
      s.sweep = Sweep(axes: [
        .zip(
          keys: ["regularizer", "train.weight_decay", "dataset.validation_fraction"],
          values: [[none, none, dropout], decays.map(ConfigValue.double), fractions.map(ConfigValue.double)])
      ])
      var runs: [RunRecord] = []
      for (i, point) in s.sweep.points().enumerated() {
        for seed in 0..<2 {
          runs.append(
            RunRecord(
              key: "z\(i)-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .ok, epochs: [],
              final: ["dice": 70 + Double(i)], wallSeconds: 1))
        }
      }
      return Fixtures.results(s, runs: runs)
    }
    let layout = ExperimentLayout(results([0.0005, 0.001, 0.001], [0, 0, 0.2]))
    #expect(layout.isMethodComparison)
    #expect(layout.categories == ["none, weight_decay=0.0005", "none, weight_decay=0.001", "dropout, weight_decay=0.001"])
    #expect(layout.rows.map(layout.plotX) == [0, 1, 2])
  }

  /// Two arms of one method (Channel DropBlock's two metrics) stay apart: in row labels, in the figure's
  /// categories, and at their own x positions; a method listed once keeps its bare name.
  @Test func twoArmsOfOneMethodStayApart() {
    var results = Fixtures.arms()
    let second = ConfigValue.map(["name": .string("dropblock"), "rate": .double(0.2), "block_size": .int(5)])
    var axes = results.spec.sweep.axes
    guard case .values(let key, var values) = axes[0] else { return }
    values.append(second)
    axes[0] = .values(key: key, values: values)
    results.spec.sweep = Sweep(axes: axes)
    let point = results.spec.sweep.points()[3]
    for seed in 0..<3 {
      results.runs.append(
        RunRecord(
          key: "k3-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .ok, epochs: [],
          final: ["dice": 60 + Double(seed), "iou": 50], wallSeconds: 2))
    }
    let layout = ExperimentLayout(results)
    let labels = layout.rows.map(\.point.label)
    #expect(labels == ["none", "dropout", "dropblock block_size=3 rate=0.1", "dropblock block_size=5 rate=0.2"])
    #expect(layout.categories == labels)
    #expect(Set(layout.rows.map(layout.plotX)).count == 4)
    #expect(Figure(results: results).data.contains("3 = dropblock block_size=5 rate=0.2"))
    #expect(Figure(results: results).script.contains("'dropblock block_size=5 rate=0.2' 3"))
  }

  /// Only the fields that differ tell two arms apart (a shared rate is not repeated; a field one arm lacks is –).
  @Test func distinguishingFieldsAreTheOnesThatDiffer() {
    let hidden = ConfigValue.map(["name": .string("dropout"), "rate": .double(0.5), "at": .list([.string("h1")])])
    let both = ConfigValue.map([
      "name": .string("dropout"), "rate": .double(0.5), "at": .list([.string("input"), .string("h1")]),
      "site_params": .map(["input": .map(["rate": .double(0.2)])]),
    ])
    let none = ConfigValue.map(["name": .string("none")])
    let fields = distinguishingFields([none, hidden, both, hidden])
    #expect(fields == ["dropout": ["at", "site_params"]])
    #expect(valueText(hidden, shared: fields) == "dropout at=[h1] site_params=–")
    #expect(valueText(none, shared: fields) == "none")
  }

  @Test func missingGnuplotIsAClearError() throws {
    #expect(throws: FigureError.gnuplotMissing("/nonexistent/gnuplot")) {
      try Figure.render(scriptPath: "x.gp", gnuplotPath: "/nonexistent/gnuplot")
    }
    #expect(FigureError.gnuplotMissing("gnuplot").description.contains("make deps"))
    #expect(FigureError.gnuplotMissing("gnuplot").description.contains("gnuplot-nox"))
  }

  @Test func deterministic() {
    #expect(Figure(results: Fixtures.numeric()) == Figure(results: Fixtures.numeric()))
    #expect(Figure(results: FigureDataTests.withPaper()) == Figure(results: FigureDataTests.withPaper()))
  }

  static func withPaper() -> ExperimentResults {
    Fixtures.regime(
      gap: 5, lateRise: 0.2, points: [[0, 1.6], [0.5, 1.25]], pointsLabel: "paper: MNIST test error (%)")
  }

  @Test func paperPointsGoOnASecondAxis() throws {
    let figure = Figure(results: Self.withPaper())
    // Apart from ours: its own axis and colour, labelled with the paper's setting.
    #expect(figure.script.contains("set y2label 'paper: MNIST test error (%)' tc rgb '#b2182b'"))
    #expect(figure.script.contains("set y2tics tc rgb '#b2182b'"))
    #expect(figure.script.contains("set ytics nomirror"))
    #expect(
      figure.script.contains(
        "'' index 1 using 1:2 axes x1y2 with points pt 6 ps 1.4 lw 2 lc rgb '#b2182b' title 'paper (big MLP)'"))
    // The paper's curve is the last data block, after our one series.
    let blocks = figure.data.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 2)
    #expect(
      blocks[1].hasPrefix("# series 1 (paper, y2 axis): paper: MNIST test error (%); columns: x y\n0 1.6\n0.5 1.25\n"))
    #expect(ExperimentPage.markdown(for: Self.withPaper()).contains("Open red circles (\"paper\", right axis)"))
    // Without paper points, nothing of the second axis.
    for results in [Fixtures.numeric(), Fixtures.arms(), Fixtures.regime(gap: 5, lateRise: 0.2)] {
      let plain = Figure(results: results)
      #expect(!plain.script.contains("axes x1y2"))
      #expect(!plain.script.contains("y2tics"))
      #expect(!plain.data.contains("paper, y2 axis"))
      #expect(!ExperimentPage.markdown(for: results).contains("Open red circles"))
    }
  }
}

@Suite(.enabled(if: Fixtures.gnuplotAvailable, "gnuplot not on PATH; `make deps` installs gnuplot-nox"))
struct FigureRenderTests {
  /// Writes the figure under `<root>/Reports/figures/`.
  func prepare(_ results: ExperimentResults) throws -> (root: URL, figures: URL) {
    let root = try Fixtures.temporaryDirectory("render")
    let figures = root.appendingPathComponent("Reports/figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    let figure = Figure(results: results)
    try Data(figure.data.utf8).write(to: figures.appendingPathComponent("\(figure.id).dat"))
    try Data(figure.script.utf8).write(to: figures.appendingPathComponent("\(figure.id).gp"))
    return (root, figures)
  }

  func expectOutputs(_ figures: URL, _ id: String) throws {
    for ext in ["svg", "png"] {
      let url = figures.appendingPathComponent("\(id).\(ext)")
      let data = try Data(contentsOf: url)
      #expect(data.count > 1000, "\(ext) too small")
      if ext == "svg" { #expect(String(decoding: data, as: UTF8.self).contains("<svg")) }
      if ext == "png" { #expect(data.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47])) }
      try FileManager.default.removeItem(at: url)
    }
  }

  @Test(arguments: ["numeric", "arms", "paper"])
  func rendersFromRepoRootAndFromFiguresDirectory(_ which: String) throws {
    let results =
      which == "numeric" ? Fixtures.numeric() : which == "arms" ? Fixtures.arms() : FigureDataTests.withPaper()
    let (root, figures) = try prepare(results)
    defer { try? FileManager.default.removeItem(at: root) }
    let id = results.experimentID
    try Figure.render(scriptPath: "Reports/figures/\(id).gp", from: root)
    try expectOutputs(figures, id)
    try Figure.render(scriptPath: "\(id).gp", from: figures)
    try expectOutputs(figures, id)
    // Nothing was written next to the starting directory.
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("\(id).svg").path))
  }
}

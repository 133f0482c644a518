import Experiments
import Foundation
import Testing

@testable import Report

extension Fixtures {
  /// A DropBlock placement in miniature: three zip positions, two of them at rate 0.1 and two after stage 2, so
  /// neither key tells them apart; named by the spec. The claim reads two metrics of the same two arms, and every
  /// run ends at 100% train accuracy, so both comparisons have the same numbers (as hme-dropout-small-data's did).
  static func placement(question: String? = nil) throws -> ExperimentResults {
    let yaml = """
      id: toy-placement
      title: DropBlock in the branch beats no DropBlock
      method: dropblock
      paper: {cite: "Someone et al. 2018", where: "Sec. 4", effect: "+0.5 pt top-1"}
      claim:
        text: DropBlock in the branch beats no DropBlock in test accuracy and over-fits less.
        \(question.map { "question: \"\($0)\"" } ?? "")
        check:
          kind: all
          checks:
            - {kind: better_than, metric: test_accuracy, a: {regularizer.at: [branch]}, b: {regularizer.rate: 0.0}}
            - {kind: better_than, metric: train_test_gap, a: {regularizer.at: [branch]}, b: {regularizer.rate: 0.0}}
      setting: {paper: "ResNet-50 on ImageNet, 270 epochs", ours: "ResNet-8 on Fashion-MNIST"}
      base:
        dataset: {name: fashion-mnist}
        model: {name: resnet}
        regularizer: {name: dropblock, rate: 0.1, at: [stage2]}
        train: {epochs: 3, batch: 128, lr: 0.05}
      sweep:
        zip:
          regularizer.at: [[stage2], [stage2], [branch]]
          regularizer.rate: [0.0, 0.1, 0.1]
      names:
        zip: {title: placement, values: [no DropBlock, DropBlock after stage 2, DropBlock in the branch]}
      seeds: [0, 1, 2]

      """
    let spec = try ExperimentSpec.parse(yaml: yaml)
    let accuracy: [[Double]] = [[85.0, 85.2, 84.8], [85.5, 85.6, 85.7], [86.0, 86.3, 85.9]]
    var runs: [RunRecord] = []
    for point in spec.points() {
      for seed in 0..<3 {
        let test = accuracy[point.index][seed]
        let epochs = (1...3).map { e in
          EpochMetrics(
            epoch: e, trainLoss: 0.5,
            metrics: ["test_accuracy": test - Double(3 - e), "train_accuracy": 100 - Double(3 - e) * 2])
        }
        runs.append(
          RunRecord(
            key: "p\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .map([:]), status: .ok,
            epochs: epochs, final: ["test_accuracy": test, "train_accuracy": 100], wallSeconds: 2))
      }
    }
    return results(spec, runs: runs)
  }
}

@Suite struct NamedArmsTests {
  @Test func pageTableAndVerdictReadTheNames() throws {
    let md = ExperimentPage.markdown(for: try Fixtures.placement())
    // The point column names the arm; the x column still says which rate each arm has.
    #expect(md.contains("| point | `regularizer.rate` | n |"))
    #expect(md.contains("\n| no DropBlock | 0 | 3 | 85.00 ± 0.50 |"))
    #expect(md.contains("\n| DropBlock in the branch | 0.1 | 3 | 86.07 ± "))
    #expect(
      md.contains("- [Re] **better_than on test_accuracy**: DropBlock in the branch vs no DropBlock: a − b = +1.07 pt"))
    #expect(!md.contains("regularizer.at="))
    #expect(!md.contains("regularizer.rate="))
  }

  /// Each comparison row names its metric, so the two comparisons of the same arms on two metrics (with the same
  /// numbers) never read alike: in the Comparisons table, beside the paper's effect, and in the index.
  @Test func noTwoComparisonRowsReadAlike() throws {
    let results = try Fixtures.placement()
    let md = ExperimentPage.markdown(for: results)
    let table = md.components(separatedBy: "### Comparisons")[1].split(separator: "\n").filter { $0.hasPrefix("| ") }
    let rows = table.dropFirst()
    #expect(rows.count == 2)
    #expect(Set(rows).count == rows.count)
    #expect(rows.allSatisfy { $0.contains("| `test_accuracy` |") || $0.contains("| `train_test_gap` |") })
    let beside = md.split(separator: "\n").filter { $0.hasPrefix("| ours, ") }
    #expect(beside.count == 2 && Set(beside).count == 2)
    let ours = VerdictTable.ours(results)
    #expect(
      ours == "test_accuracy: DropBlock in the branch vs no DropBlock +1.07 [0.92, 1.21]; "
        + "train_test_gap: DropBlock in the branch vs no DropBlock +1.07 [0.92, 1.21]")
    let row = VerdictTable.row(results, taxonomy: [:])
    #expect(row.contains("| test_accuracy: DropBlock in the branch vs no DropBlock"))
  }

  /// The x key repeats along its zip (two arms at rate 0.1), so the arms sit on a categorical axis at named tics,
  /// with error bars and no line between them; the axis is labelled by the names' title.
  @Test func zipPositionsAreNamedCategoriesWithoutAJoiningLine() throws {
    let results = try Fixtures.placement()
    let layout = ExperimentLayout(results)
    #expect(layout.categorical && layout.categoricalPositions)
    #expect(layout.categories == ["no DropBlock", "DropBlock after stage 2", "DropBlock in the branch"])
    let figure = Figure(results: results)
    #expect(
      figure.script.contains("set xtics ('no DropBlock' 0, 'DropBlock after stage 2' 1, 'DropBlock in the branch' 2)"))
    #expect(figure.script.contains("with yerrorbars"))
    #expect(!figure.script.contains("yerrorlines"))
    #expect(!figure.script.contains("with lines"))
    #expect(figure.script.contains("set xlabel 'placement'"))
    #expect(
      figure.data.contains(
        "# categorical x positions: 0 = no DropBlock, 1 = DropBlock after stage 2, 2 = DropBlock in the branch"))
    #expect(figure.data.contains("\n0 85.0000 "))
    #expect(figure.data.contains("\n2 86.0667 "))
    // A numeric key that tells its points apart stays a numeric axis joined by a line.
    #expect(Figure(results: Fixtures.numeric()).script.contains("with yerrorlines"))
    #expect(!ExperimentLayout(Fixtures.numeric()).categorical)
  }

  /// Titles ask the claim's question (or a neutral "<metric> by/vs <axis>"), never assert the claim.
  @Test func titlesAreQuestions() throws {
    let plain = Figure(results: try Fixtures.placement())
    #expect(plain.script.contains("set title 'test accuracy by placement'"))
    #expect(!plain.script.contains("beats no DropBlock'"))
    let asked = Figure(results: try Fixtures.placement(question: "Does DropBlock in the branch beat no DropBlock?"))
    #expect(asked.script.contains("set title 'Does DropBlock in the branch beat no DropBlock?'"))
    #expect(Figure(results: Fixtures.numeric()).script.contains("set title 'test accuracy vs retention p'"))
  }

  /// Every figure says the scale and seed count its numbers come from.
  @Test func everyFigureIsStamped() throws {
    for results in [
      try Fixtures.placement(), Fixtures.numeric(), Fixtures.arms(), Fixtures.regime(gap: 5, lateRise: 0.2),
    ] {
      let stamp = "set label 99 'default scale · 3 seeds' at screen 0.99, screen 0.975 right"
      #expect(Figure(results: results).script.contains(stamp), "\(results.experimentID)")
      #expect(CurvesFigure(results: results).script.contains(stamp), "\(results.experimentID) curves")
    }
  }

  /// The paper's values: their own red axis and point style, labelled with the paper's setting.
  @Test func paperValuesAreDrawnApartAndLabelledWithTheirSetting() {
    var results = Fixtures.arms()
    results.spec.paper.values = ["dropblock": 78.1, "none": 76.5]
    results.spec.paper.pointsLabel = "paper: ImageNet top-1 (%)"
    results.spec.setting.paper = "ResNet-50 on ImageNet, 270 epochs"
    let script = Figure(results: results).script
    #expect(script.contains("title 'paper (ResNet-50 on ImageNet)'"))
    #expect(script.contains("set y2label 'paper: ImageNet top-1 (%)' font ',9' tc rgb '#b2182b'"))
    #expect(script.contains("set y2tics tc rgb '#b2182b'"))
    #expect(script.contains("axes x1y2 with points pt 6"))
  }

  /// Names live in the stored spec and the points carry them, so a page reads the same after a JSON round trip.
  @Test func namesSurviveTheResultsRoundTrip() throws {
    let results = try Fixtures.placement()
    let decoded = try ResultsStore.decode(Fixtures.json(results), file: "toy-placement.json")
    #expect(decoded == results)
    #expect(ExperimentPage.markdown(for: decoded) == ExperimentPage.markdown(for: results))
    #expect(Figure(results: decoded) == Figure(results: results))
    #expect(decoded.reevaluated().verdict == results.verdict)
  }

  /// Two arms share the best x value (rate 0.1, as block size 1 with and without DropBlock did): the index names
  /// the arm that is best, not its x value.
  @Test func theBestLineNamesItsArm() throws {
    var results = try Fixtures.placement()
    results.spec.claim.check = ClaimCheck(
      .monotone(x: "regularizer.rate", metric: "test_accuracy", direction: .increasing, until: nil))
    let after = results.spec.points()[1].coordinates
    results.runs = results.runs.map { run in
      var r = run
      if r.point == after { r.final["test_accuracy"]! += 2 }
      return r
    }
    results = results.reevaluated()
    #expect(VerdictTable.ours(results) == "best DropBlock after stage 2, test_accuracy 87.60 ± 0.25")
  }
}

import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct CurvesFigureTests {
  func rows(_ block: String) -> [String] { block.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init) }

  /// One block per arm: epoch, train and test metric means over the finished seeds, and how many there were.
  /// The regime fixture: test accuracy flat at the arm's per-seed values, train accuracy 5 pt above at epoch 10,
  /// rising 0.2 pt over epochs 7–10.
  @Test func oneBlockPerArmWithMeansOverSeedsAtEveryEpoch() throws {
    let curves = CurvesFigure(results: Fixtures.regime(gap: 5, lateRise: 0.2))
    #expect(curves.id == "toy-regime-curves")
    #expect(curves.data.contains("# columns: epoch train test n\n"))
    #expect(curves.data.contains("train (train_accuracy) and test (test_accuracy)"))
    let blocks = curves.data.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 2)
    #expect(blocks[0].contains("# curve 0: regularizer.rate=0 (3 finished runs)\n"))
    let first = rows(blocks[0])
    #expect(first.count == 10)
    #expect(first.last == "10 90.0000 85.0000 3")
    #expect(first[6] == "7 89.8000 85.0000 3")
    #expect(rows(blocks[1]).last == "10 91.0667 86.0667 3")
  }

  /// Points that differ only in an evaluation setting are one trained net: one curve, named without that setting.
  @Test func evaluationSettingsShareOneCurve() throws {
    var results = Fixtures.regime(gap: 5, lateRise: 0.2)
    results.spec.sweep.axes.append(.values(key: "eval.prune", values: [.double(0), .double(0.5)]))
    results.runs = results.runs.flatMap { run in
      [0.0, 0.5].map { prune in
        var r = run
        r.point["eval.prune"] = .double(prune)
        r.final["test_accuracy"]! -= prune * 10
        return r
      }
    }
    let curves = CurvesFigure(results: results)
    let labels = curves.data.split(separator: "\n").filter { $0.hasPrefix("# curve ") }
    #expect(
      labels == [
        "# curve 0: regularizer.rate=0 (3 finished runs)", "# curve 1: regularizer.rate=0.5 (3 finished runs)",
      ])
    #expect(curves.script.contains("title 'regularizer.rate=0'"))
    #expect(ExperimentPage.markdown(for: results).contains("share one curve"))
  }

  /// Two panels, test left and train right, one colour per arm, both drawn once per terminal (a multiplot cannot
  /// be replotted), from the curves' own data file; an arm without finished runs is listed, not drawn.
  @Test func scriptDrawsTestAndTrainPanels() throws {
    var results = try Fixtures.placement()
    let none = results.spec.points()[0].coordinates
    results.runs = results.runs.map { run in
      var r = run
      if r.point == none {
        r.status = .diverged
        r.divergedAtStep = 7
      }
      return r
    }
    let curves = CurvesFigure(results: results)
    #expect(curves.data.contains("# not plotted: no DropBlock: no finished run recorded an epoch\n"))
    #expect(curves.data.contains("# curve 0: DropBlock after stage 2 (3 finished runs)"))
    let script = curves.script
    #expect(script.contains("set output 'toy-placement-curves.svg'"))
    #expect(script.contains("set output 'toy-placement-curves.png'"))
    #expect(script.components(separatedBy: "set multiplot title").count == 3)
    #expect(script.contains("set title 'test accuracy (%)'"))
    #expect(script.contains("set title 'train accuracy (%)'"))
    #expect(script.contains("'toy-placement-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1"))
    #expect(
      script.contains(
        "'' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropBlock in the branch'"))
    #expect(!script.contains("logscale"))
    #expect(script.contains("cd script_dir"))
  }

  /// Arms trained for very different numbers of epochs share a logarithmic epoch axis.
  @Test func epochRangesFarApartGetALogAxis() {
    var results = Fixtures.regime(gap: 5, lateRise: 0.2)
    let long = results.spec.points()[1].coordinates
    results.runs = results.runs.map { run in
      var r = run
      if r.point == long {
        r.epochs = r.epochs.map { e in EpochMetrics(epoch: e.epoch * 30, trainLoss: e.trainLoss, metrics: e.metrics) }
      }
      return r
    }
    #expect(CurvesFigure(results: results).script.contains("set logscale x\n"))
  }

  /// The page shows the curves next to the regime table that reads them.
  @Test func thePageLinksTheCurvesBesideTheRegime() throws {
    let md = ExperimentPage.markdown(for: Fixtures.regime(gap: 5, lateRise: 0.2))
    let curves = try #require(
      md.range(of: "### Learning curves\n\n![Learning curves of every arm](figures/toy-regime-curves.svg)"))
    let regime = try #require(md.range(of: "### Regime"))
    #expect(curves.upperBound < regime.lowerBound)
    #expect(md.contains("`test_accuracy` (left) and `train_accuracy` (right) at every evaluated epoch"))
  }

  @Test func noEpochsIsAnEmptyFigureNotACrash() {
    let curves = CurvesFigure(results: Fixtures.arms())
    #expect(curves.data.contains("# no recorded epochs to plot"))
    #expect(curves.script.contains("'no recorded epochs to plot'"))
    #expect(!curves.script.contains("index 0"))
  }

  @Test(.enabled(if: Fixtures.gnuplotAvailable, "gnuplot not on PATH; `make deps` installs gnuplot-nox"))
  func renders() throws {
    let dir = try Fixtures.temporaryDirectory("curves")
    defer { try? FileManager.default.removeItem(at: dir) }
    for results in [Fixtures.regime(gap: 5, lateRise: 0.2), Fixtures.arms(), try Fixtures.placement()] {
      let curves = CurvesFigure(results: results)
      try Data(curves.data.utf8).write(to: dir.appendingPathComponent("\(curves.id).dat"))
      try Data(curves.script.utf8).write(to: dir.appendingPathComponent("\(curves.id).gp"))
      try Figure.render(scriptPath: dir.appendingPathComponent("\(curves.id).gp").path)
      let svg = try String(contentsOf: dir.appendingPathComponent("\(curves.id).svg"), encoding: .utf8)
      #expect(svg.contains("<svg"))
      #expect(svg.contains("default scale · 3 seeds"))
    }
  }
}

import Experiments
import Foundation
import Testing

@testable import Report

/// The page parts that put a verdict in context: the regime table, the paper's effect beside ours, the test set's
/// own sampling error, and stalled runs.
@Suite struct RegimePageTests {
  /// Barely over-fits (0.5 pt), far from fitting its training set (85.5%) and still learning (training loss falling
  /// 0.015 over the last 30% of epochs in training mode, 0.012 in evaluation mode, at a constant learning rate):
  /// outside the regime.
  let unmet = Fixtures.regime(gap: 0.5, lateRise: 1.5, effect: "+1.3 pt (dropout 98.7 vs 98.4 % accuracy)")
  /// Over-fits by 13.7 pt, fits its training set (98.7%) and has levelled off (evaluation-mode loss fell 0.0016 late).
  let met = Fixtures.regime(gap: 13.7, lateRise: 0.2)

  func line(_ md: String, startingWith prefix: String) throws -> String {
    try #require(md.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init), "no line \(prefix)")
  }

  @Test func unmetRegimeIsProxyInvalidWithTheTableAndPlainWording() throws {
    #expect(unmet.verdict.verdict == .proxyInvalid)
    #expect(unmet.verdict.checkVerdict == .holds)
    let md = ExperimentPage.markdown(for: unmet)
    #expect(md.hasPrefix("# [Re?] Dropout helps an over-fitting MLP\n"))
    #expect(md.contains("## Verdict: [Re?] proxy invalid"))
    #expect(md.contains("### Regime\n\nRegime not met: 1 of 1 reference point do not over-fit"))
    #expect(md.contains("**Not a verdict on the paper.**"))
    #expect(md.contains("The check alone says [Re] holds on these runs; that outcome describes the proxy"))
    #expect(md.contains("says nothing about the paper's claim"))
    // Regime rule v2 at a constant learning rate: (b) train error of the reference, (e) the training loss's fall.
    #expect(
      md.contains(
        "| point | `train_accuracy` | `test_accuracy` | gap (train − test) | train error | train-loss fall | over-fits "
          + "| fits | converged | trains |"))
    // Means over seeds: test 85.00 / 86.07, train 0.5 pt above (so 14.5 pt of train error on the reference), the
    // evaluation-mode loss (0.8 × the training-mode loss in this fixture; rule v4 reads it) still falling 0.012 over
    // epochs 7–10; only rate 0 is a reference.
    #expect(
      try line(md, startingWith: "| regularizer.rate=0 (reference) |")
        == "| regularizer.rate=0 (reference) | 85.50 | 85.00 | +0.50 [+0.50, +0.50] | 14.50 [14.00, 15.00] "
        + "| +0.0120 [+0.0120, +0.0120] | ✗ | ✗ | ✗ | ✓ |")
    #expect(
      md.contains(
        "\n| regularizer.rate=0.5 | 86.57 | 86.07 | +0.50 [+0.50, +0.50] | – | +0.0120 [+0.0120, +0.0120] "
          + "| – | – | ✗ | ✓ |\n"))
    #expect(md.contains("A reference point over-fits when the lower bound of train − test is at least 2 pt (other points: –)."))
    #expect(md.contains("it fits (near interpolation) when the upper bound is at most 2 pt"))
    #expect(
      md.contains(
        "Constant learning rate: the least-squares fall of the training loss over the last 30% of the epochs; "
          + "converged when its upper bound is at most 0.01."))
    #expect(md.contains("? not shown either way"))
    #expect(md.contains("docs/convergence-rule.md"))
    // The regime comes before the comparisons, after the verdict.
    let regime = try #require(md.range(of: "### Regime"))
    let verdict = try #require(md.range(of: "## Verdict"))
    let comparisons = try #require(md.range(of: "### Comparisons"))
    #expect(verdict.upperBound < regime.lowerBound && regime.upperBound < comparisons.lowerBound)
  }

  @Test func metRegimeShowsTicksAndNoDisclaimer() throws {
    #expect(met.verdict.verdict == .holds)
    let md = ExperimentPage.markdown(for: met)
    #expect(md.contains("### Regime\n\nRegime met: every reference point over-fits by at least 2 pt"))
    #expect(!md.contains("Not a verdict on the paper"))
    #expect(md.contains("every reference point fits its training set (train error (100 − train_accuracy) at most 2 pt"))
    // Train errors 1.3, 1.1, 1.5 pt over the three seeds: [0.80, 1.80] by t with 2 degrees of freedom.
    #expect(
      try line(md, startingWith: "| regularizer.rate=0 (reference) |")
        == "| regularizer.rate=0 (reference) | 98.70 | 85.00 | +13.70 [+13.70, +13.70] | 1.30 [0.80, 1.80] "
        + "| +0.0016 [+0.0016, +0.0016] | ✓ | ✓ | ✓ | ✓ |")
    // A claim without a regime has no such section.
    #expect(!ExperimentPage.markdown(for: Fixtures.numeric()).contains("### Regime"))
  }

  @Test func paperEffectBesideOurs() throws {
    let md = ExperimentPage.markdown(for: unmet)
    #expect(md.contains("### Paper beside ours\n\n| | effect |\n|---|---|\n"))
    #expect(md.contains("| paper (Fig. 1) | +1.3 pt (dropout 98.7 vs 98.4 % accuracy) |"))
    // Per seed: 1.0, 1.1, 1.1 → +1.07 pt with its 95% interval (the comparison's label is the check's).
    let ours = try line(md, startingWith: "| ours, `test_accuracy`: regularizer.rate=0.5 vs regularizer.rate=0")
    #expect(ours.hasSuffix(" | +1.07 pt [0.92, 1.21], n = 3 |"))
    #expect(md.contains("they describe the proxy, not the paper's effect."))
    // Without `effect` the paper's result stands in; Dice differences are in points too.
    #expect(ExperimentPage.markdown(for: met).contains("| paper (Fig. 1) | dropout lowers error |"))
    #expect(!ExperimentPage.markdown(for: met).contains("they describe the proxy"))
    let arms = ExperimentPage.markdown(for: Fixtures.arms())
    #expect(arms.contains("| ours, `dice`: dropblock vs none | +3.83 pt [3.12, 4.55], n = 3 |"))
  }

  @Test func testSetSamplingErrorIsStatedNotAdded() throws {
    // The best point's mean test accuracy p = 86.07%: √(p(1 − p)/N) = 0.35 pt at N = 10,000 (fashion-mnist's full
    // test split) and 1.10 pt at a recorded test_size of 1,000.
    let md = ExperimentPage.markdown(for: unmet)
    #expect(md.contains("they do not include the test set's own sampling error"))
    #expect(md.contains("is p = 86.07%, N = 10,000 test images: 0.35 pt."))
    #expect(md.contains("no interval on this page includes it"))
    let small = ExperimentPage.markdown(for: Fixtures.regime(gap: 0.5, lateRise: 1.5, testSize: 1000))
    #expect(small.contains("is p = 86.07%, N = 1,000 test images: 1.10 pt."))
    // Mixed datasets each get their own N; mnist-5k's full test split is 1,000 images.
    var mixed = unmet
    for i in mixed.runs.indices where mixed.runs[i].point["regularizer.rate"] == .double(0.5) {
      mixed.runs[i].config = .map(["dataset": .map(["name": .string("mnist-5k")])])
    }
    let sampling = ExperimentPage.testSetSampling(mixed)
    #expect(sampling.contains("fashion-mnist: p = 85.00%, N = 10,000 test images: 0.36 pt"))
    #expect(sampling.contains("mnist-5k: p = 86.07%, N = 1,000 test images: 1.10 pt"))
    // Segmentation: intervals are over seeds on a fixed test set, no binomial error.
    let dice = ExperimentPage.markdown(for: Fixtures.arms())
    #expect(dice.contains("Dice and IoU intervals are over seeds on one fixed test set; they do not include"))
    // No dataset name or size in the runs' config: said so, no number invented.
    #expect(ExperimentPage.markdown(for: Fixtures.numeric()).contains("test-set size not recorded"))
  }

  @Test func stalledRunsAreListedLikeDivergedOnes() throws {
    var r = Fixtures.numeric()
    for i in r.runs.indices where r.runs[i].status == .diverged && r.runs[i].divergedAtStep != 120 {
      r.runs[i].status = .stalled
      r.runs[i].divergedAtStep = nil
    }
    let md = ExperimentPage.markdown(for: r)
    let row = try line(md, startingWith: "| set-b, regularizer.rate=0.9 |")
    #expect(row.contains("| stalled (never trained) |"))
    #expect(row.contains("| 3 stalled (never trained) |"))
    let partial = try line(md, startingWith: "| set-a, regularizer.rate=0.9 |")
    #expect(partial.contains("| 1 (step 120) |"))
    #expect(Figure(results: r).data.contains("# not plotted: set-b, regularizer.rate=0.9: stalled (never trained)"))
    // A point with both: each named with its own count.
    var mixed = Fixtures.numeric()
    for i in mixed.runs.indices where [50, 60].contains(mixed.runs[i].divergedAtStep ?? 0) {
      mixed.runs[i].status = .stalled
      mixed.runs[i].divergedAtStep = nil
    }
    let both = try line(ExperimentPage.markdown(for: mixed), startingWith: "| set-b, regularizer.rate=0.9 |")
    #expect(both.contains("| diverged at step 40 (1 of 3 seeds); stalled (never trained; 2 of 3 seeds) |"))
    #expect(both.contains("| 1 (step 40), 2 stalled (never trained) |"))
  }

  /// A results file written before regime rule v2 stores a report without `rule`: its page keeps the v1 table
  /// (late gain, plateau) as stored, until `report` recomputes the verdict with this build's rule.
  @Test func aStoredV1ReportKeepsItsTable() throws {
    var stored = unmet
    let spec = stored.spec
    stored.verdict.regime = spec.claim.regime!.evaluatePlateauRule(points: spec.sweep.points(), runs: stored.runs)
    #expect(stored.verdict.regime?.rule == nil)
    let md = ExperimentPage.markdown(for: stored)
    #expect(
      md.contains(
        "| point | `train_accuracy` | `test_accuracy` | gap (train − test) | late gain | over-fits | converged |"))
    // Means over seeds: test 85.00 / 86.07, train 0.5 pt above, risen 1.5 pt late; only rate 0 is a reference.
    #expect(
      try line(md, startingWith: "| regularizer.rate=0 (reference) |")
        == "| regularizer.rate=0 (reference) | 85.50 | 85.00 | +0.50 [+0.50, +0.50] | +1.50 [+1.50, +1.50] | ✗ | ✗ |")
    #expect(
      md.contains("\n| regularizer.rate=0.5 | 86.57 | 86.07 | +0.50 [+0.50, +0.50] | +1.50 [+1.50, +1.50] | – | ✗ |\n"))
    #expect(md.contains("A point has converged when the upper bound of its late gain is at most 1 pt."))
    let decoded = try ResultsStore.decode(Fixtures.json(stored), file: "toy.json")
    let v2 = ExperimentPage.markdown(for: decoded.reevaluated())
    #expect(v2.contains("| train error | train-loss fall |") && !v2.contains("| late gain |"))
  }

  /// The stored regime report survives a JSON round trip, and the regime table names points as the Results table
  /// does whether the verdict was stored or recomputed from the decoded spec (whose 0.0 reads 0).
  @Test func regimePageIsDeterministicAcrossAJSONRoundTrip() throws {
    let first = ExperimentPage.markdown(for: unmet)
    let decoded = try ResultsStore.decode(Fixtures.json(unmet), file: "toy.json")
    #expect(decoded.verdict == unmet.verdict)
    #expect(ExperimentPage.markdown(for: decoded) == first)
    let recomputed = ExperimentPage.markdown(for: decoded.reevaluated())
    func regimeTable(_ md: String) -> [Substring] {
      md.split(separator: "\n").filter { $0.hasPrefix("| regularizer.rate=") && $0.hasSuffix("| ✗ | ✓ |") }
    }
    #expect(regimeTable(recomputed).count == 2)
    #expect(regimeTable(recomputed) == regimeTable(first))
  }
}

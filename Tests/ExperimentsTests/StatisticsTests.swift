import Foundation
import Testing

@testable import Experiments

@Suite struct StatisticsTests {
  /// Table values are given to 3 decimals.
  @Test(arguments: [
    (0.975, 4.0, 2.776), (0.975, 2.0, 4.303), (0.975, 9.0, 2.262), (0.80, 4.0, 0.941), (0.975, 1.0, 12.706),
  ])
  func studentTQuantilesMatchTables(p: Double, df: Double, expected: Double) {
    #expect(abs(Statistics.studentTQuantile(p, df: df) - expected) < 1e-3)
    #expect(abs(Statistics.studentTQuantile(1 - p, df: df) + expected) < 1e-3)
  }


  @Test func incompleteBetaKnownValues() {
    // I_x(1, 1) = x and I_x(a, b) = 1 − I_{1−x}(b, a).
    #expect(abs(Statistics.regularizedIncompleteBeta(0.3, a: 1, b: 1) - 0.3) < 1e-12)
    let a = Statistics.regularizedIncompleteBeta(0.2, a: 2.5, b: 4)
    let b = Statistics.regularizedIncompleteBeta(0.8, a: 4, b: 2.5)
    #expect(abs(a + b - 1) < 1e-12)
    #expect(Statistics.studentTCDF(0, df: 5) == 0.5)
  }

  @Test func meanSDAndConfidenceInterval() {
    let values = [1.0, 2, 3, 4, 5]
    #expect(Statistics.mean(values) == 3)
    #expect(abs(Statistics.sampleSD(values)! - 1.5811388300841898) < 1e-12)
    // t_{0.975,4} · sd / √5
    #expect(abs(Statistics.ciHalfWidth95(values)! - 2.7764451 * 1.5811388300841898 / 5.0.squareRoot()) < 1e-6)
    #expect(Statistics.sampleSD([1]) == nil)
  }

  @Test func minimumDetectableEffectFormula() {
    let mde = Statistics.minimumDetectableEffect(sdDiff: 0.5, n: 5)!
    let expected =
      (Statistics.studentTQuantile(0.975, df: 4) + Statistics.studentTQuantile(0.80, df: 4)) * 0.5 / 5.0.squareRoot()
    #expect(abs(mde - expected) < 1e-12)
    #expect(abs(mde - (2.776 + 0.941) * 0.5 / 5.0.squareRoot()) < 2e-3)
    #expect(Statistics.minimumDetectableEffect(sdDiff: 1, n: 1) == nil)
  }

  @Test func pairedComparisonFromDifferences() {
    let c = Comparison(label: "a vs b", differences: [1.0, 1.2, 0.8, 1.1, 0.9])
    #expect(c.outcome == .aBetter)
    #expect(c.n == 5)
    #expect(abs(c.meanDiff! - 1) < 1e-12)
    #expect(c.ciLow! > 0)
    let noisy = Comparison(label: "a vs b", differences: [1, -1, 0.5, -0.5, 0.1])
    #expect(noisy.outcome == .neither)
  }
}

@Suite struct SeedBudgetTests {
  @Test func spreadRoundTripsThroughTheMinimumDetectableEffect() throws {
    for n in [2, 3, 5, 10, 40] {
      let mde = try #require(Statistics.minimumDetectableEffect(sdDiff: 0.7, n: n))
      let sd = try #require(SeedBudget.sdDiff(mde: mde, n: n))
      #expect(abs(sd - 0.7) <= 1e-9)
    }
    #expect(SeedBudget.sdDiff(mde: 1, n: 1) == nil)
  }

  /// The answer is the first n whose MDE reaches |Δ|: the MDE at n is ≤ |Δ| and at n − 1 it is not.
  @Test func seedsNeededIsTheFirstDetectableCount() throws {
    for (effect, sd) in [(0.5, 0.4), (-0.3, 0.9), (2.0, 0.1), (0.05, 0.3)] {
      let n = try #require(SeedBudget.seedsNeeded(effect: effect, sdDiff: sd))
      #expect(Statistics.minimumDetectableEffect(sdDiff: sd, n: n)! <= abs(effect))
      if n > 2 { #expect(Statistics.minimumDetectableEffect(sdDiff: sd, n: n - 1)! > abs(effect)) }
    }
    #expect(SeedBudget.seedsNeeded(effect: 0, sdDiff: 1) == nil)
    #expect(SeedBudget.seedsNeeded(effect: 0.001, sdDiff: 1, limit: 50) == nil)
    #expect(SeedBudget.seedsNeeded(effect: 1, sdDiff: 0) == 2)
  }

  @Test func linesExplainWhatCannotBePlanned() {
    let mde = Statistics.minimumDetectableEffect(sdDiff: 0.5, n: 5)!
    let evaluation = ClaimEvaluation(
      verdict: .inconclusive, explanation: "", metric: "test_accuracy", label: "x",
      comparisons: [
        Comparison(label: "a vs b", meanDiff: 0.4, ciLow: nil, ciHigh: nil, n: 5, mde: mde, outcome: .neither),
        Comparison(
          label: "c vs d", meanDiff: nil, ciLow: nil, ciHigh: nil, n: 0, mde: nil, outcome: .neither,
          note: Comparison.tooFewSeeds),
        Comparison(label: "var ratio", meanDiff: 3, ciLow: nil, ciHigh: nil, n: 5, mde: nil, outcome: .neither),
      ])
    let lines = SeedBudget.lines(evaluation)
    #expect(lines.map(\.label) == ["a vs b", "c vs d", "var ratio"])
    #expect(lines[0].needed == SeedBudget.seedsNeeded(effect: 0.4, sdDiff: 0.5) && lines[0].needed! > 5)
    #expect(lines[1].needed == nil && lines[1].note == Comparison.tooFewSeeds)
    #expect(lines[2].needed == nil && lines[2].note?.contains("no power rule") == true)
  }
}

@Suite struct MetricRegistryTests {
  /// Direction and unit come from the registry, not from the metric's name.
  @Test func directionsAndUnits() {
    #expect(naturalGoal(of: "test_accuracy") == .max && naturalGoal(of: "dice") == .max)
    #expect(naturalGoal(of: "test_error") == .min && naturalGoal(of: "train_loss") == .min)
    #expect(isPercentMetric("train_dice") && !isPercentMetric("test_loss"))
    #expect(MetricRegistry.names(forTask: "segmentation").contains("train_dice"))
    #expect(!MetricRegistry.names(forTask: "classification").contains("dice"))
    #expect(Set(MetricRegistry.all.map(\.name)).count == MetricRegistry.all.count)
  }
}

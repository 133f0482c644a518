import Foundation
import Testing

@testable import Experiments

/// A named comparison whose arm does not train at the spec's settings cannot test the claim: `proxy invalid`, never
/// a win for the other side (the DropConnect arms that all diverged at lr 0.05 once made "about equal to dropout"
/// fail). Sweep checks keep ranking a collapsed point last.
@Suite struct UntrainableArmTests {
  let points = Sweep(axes: [.values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double))]).points()
  let a: [String: ConfigValue] = ["regularizer.rate": .double(0.5)]
  let b: [String: ConfigValue] = ["regularizer.rate": .double(0)]

  /// Five seeds per point; point `dead` diverged in seeds 0…`deadSeeds − 1`.
  func runs(dead: Int?, deadSeeds: Int = 5, values: (Int, Int) -> Double = { p, s in 90 + Double(p) + 0.1 * Double(s) })
    -> [RunRecord]
  {
    points.flatMap { p in
      (0..<5).map { seed in
        let diverged = p.index == dead && seed < deadSeeds
        return RunRecord(
          key: "\(p.index)-\(seed)", point: p.coordinates, seed: seed, config: .null,
          status: diverged ? .diverged : .ok, divergedAtStep: diverged ? 3 : nil, epochs: [],
          final: diverged ? [:] : ["test_accuracy": values(p.index, seed)], wallSeconds: 1)
      }
    }
  }

  func verdict(_ rule: ClaimCheck.Rule, _ records: [RunRecord]) -> ClaimEvaluation {
    evaluate(ClaimCheck(rule), points: points, runs: records)
  }

  @Test func betterThanWithADeadSideIsProxyInvalidEitherWay() {
    for dead in [0, 1] {
      let e = verdict(.betterThan(metric: "test_accuracy", a: a, b: b, margin: 0), runs(dead: dead))
      #expect(e.verdict == .proxyInvalid, "\(e.explanation)")
      #expect(e.explanation.contains("do not train it"), "\(e.explanation)")
      #expect(e.pFails == nil)
    }
    // Two of five seeds diverged is not "mostly": the comparison pairs the other three and decides on numbers.
    let partly = verdict(.betterThan(metric: "test_accuracy", a: a, b: b, margin: 0), runs(dead: 1, deadSeeds: 2))
    #expect(partly.verdict == .holds, "\(partly.explanation)")
    #expect(partly.comparisons.first?.n == 3)
  }

  @Test func equivalenceNoGainVarianceAndAtLeastToo() {
    let records = runs(dead: 1)
    let rules: [ClaimCheck.Rule] = [
      .equivalent(metric: "test_accuracy", a: a, b: b, margin: 1),
      .notBetterThan(metric: "test_accuracy", a: a, b: b, margin: 1),
      .lessVariable(metric: "test_accuracy", a: a, b: b),
    ]
    for rule in rules { #expect(verdict(rule, records).verdict == .proxyInvalid) }
    let atLeast = evaluate(
      ClaimCheck(.atLeast(metric: "test_accuracy", value: 80), where: a), points: points, runs: records)
    #expect(atLeast.verdict == .proxyInvalid, "\(atLeast.explanation)")
  }

  @Test func allIsProxyInvalidUnlessAnotherPartFailsOnItsNumbers() {
    let records = runs(dead: 1)
    let dead = ClaimCheck(.betterThan(metric: "test_accuracy", a: a, b: b, margin: 0))
    let fine = ClaimCheck(.atLeast(metric: "test_accuracy", value: 80), where: b)
    let failing = ClaimCheck(.atLeast(metric: "test_accuracy", value: 99), where: b)
    let untestable = evaluate(ClaimCheck(.all([dead, fine])), points: points, runs: records)
    #expect(untestable.verdict == .proxyInvalid, "\(untestable.explanation)")
    #expect(untestable.explanation.contains("1 proxy invalid"), "\(untestable.explanation)")
    #expect(evaluate(ClaimCheck(.all([dead, failing])), points: points, runs: records).verdict == .fails)
  }

  @Test func theRegimeGateKeepsTheArmsFinding() {
    let regime = Regime(plateau: 1)
    let e = evaluate(
      ExperimentSpec.Claim(text: "", check: ClaimCheck(.betterThan(metric: "test_accuracy", a: a, b: b, margin: 0)),
        regime: regime), points: points, runs: runs(dead: 0))
    #expect(e.verdict == .proxyInvalid)
    // No epochs were recorded, so convergence is not shown; the arm's finding stays in the explanation and no
    // "check alone" verdict is invented.
    #expect(e.checkVerdict == nil)
    #expect(e.explanation.contains("do not train it"), "\(e.explanation)")
  }
}

import Foundation
import Testing

@testable import Experiments

/// `not testable at this budget` (`Testability`): decided by the minimum detectable effect against the paper's
/// effect, or by a premise the spec says the proxy lacks — never a second name for proxy invalid or fails.
@Suite struct TestabilityTests {
  static let points = Sweep(axes: [.values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double))])
    .points()
  static let check = ClaimCheck(
    .betterThan(
      metric: "test_accuracy", a: ["regularizer.rate": .double(0.5)], b: ["regularizer.rate": .double(0)],
      margin: 0))

  /// Five seeds; arm 0.5 = arm 0 + `effect` + a per-seed difference of spread `spread`.
  static func runs(effect: Double, spread: Double) -> [RunRecord] {
    let wiggles = [-1.2, 0.4, 1.1, -0.6, 0.3]
    return points.flatMap { p in
      (0..<5).map { seed in
        let value = 90 + Double(seed) * 0.2 + (p.index == 1 ? effect + spread * wiggles[seed] : 0)
        return RunRecord(
          key: "\(p.index)-\(seed)", point: p.coordinates, seed: seed, config: .null, status: .ok, epochs: [],
          final: ["test_accuracy": value], wallSeconds: 1)
      }
    }
  }

  static func claim(_ testability: Testability?, regime: Regime? = nil) -> ExperimentSpec.Claim {
    ExperimentSpec.Claim(text: "t", check: check, regime: regime, testability: testability)
  }

  @Test func anInconclusiveCheckTooCoarseForThePaperEffectIsNotTestable() throws {
    let runs = Self.runs(effect: 0.2, spread: 1)
    let plain = evaluate(Self.claim(nil), points: Self.points, runs: runs)
    #expect(plain.verdict == .inconclusive && plain.testability == nil)
    let e = evaluate(Self.claim(Testability(paperEffect: 0.5)), points: Self.points, runs: runs)
    let t = try #require(e.testability)
    let mde = try #require(t.mde)
    #expect(mde > 0.5 && t.seeds == 5)
    #expect(e.verdict == .notTestable, "\(e.explanation)")
    #expect(e.explanation.hasPrefix("Not testable at this budget: with 5 paired seeds"))
    #expect(e.explanation.contains("Our numbers, as description only: ") && !e.explanation.contains("would say"))
    #expect(e.checkVerdict == nil)
    // The seeds that would reach the paper's effect: the first n whose MDE at the same paired sd is at most it.
    let needed = try #require(t.seedsNeeded)
    func factor(_ n: Int) -> Double {
      (Statistics.studentTQuantile(0.975, df: Double(n - 1)) + Statistics.studentTQuantile(0.8, df: Double(n - 1)))
        / Double(n).squareRoot()
    }
    let sd = mde / factor(5)
    #expect(factor(needed) * sd <= 0.5 && factor(needed - 1) * sd > 0.5)
  }

  @Test func aDesignFineEnoughForThePaperEffectKeepsItsVerdict() {
    // Inconclusive, but an effect of the paper's size would have been seen: the claim was tested.
    let fine = evaluate(Self.claim(Testability(paperEffect: 5)), points: Self.points, runs: Self.runs(effect: 0.2, spread: 1))
    #expect(fine.verdict == .inconclusive && fine.testability?.mde != nil && fine.testability?.seedsNeeded == nil)
    // A decided check was testable, whatever its MDE.
    let decided = evaluate(
      Self.claim(Testability(paperEffect: 0.01)), points: Self.points, runs: Self.runs(effect: 2, spread: 0.3))
    #expect(decided.verdict == .holds)
    let against = evaluate(
      Self.claim(Testability(paperEffect: 0.01)), points: Self.points, runs: Self.runs(effect: -2, spread: 0.3))
    #expect(against.verdict == .fails)
  }

  @Test func aProxyOutOfRegimeStaysProxyInvalid() {
    // The reference does not over-fit (no train metric at all): the gate decides first and the MDE does not
    // relabel it.
    let regime = Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2)
    let e = evaluate(
      Self.claim(Testability(paperEffect: 0.5), regime: regime), points: Self.points,
      runs: Self.runs(effect: 0.2, spread: 1))
    #expect(e.verdict == .proxyInvalid && e.checkVerdict == .inconclusive)
  }

  @Test func aMissingPremiseIsNotTestableWhateverTheCheckSays() {
    let e = evaluate(
      Self.claim(Testability(premiseMissing: "a heat map from a strong pretrained network")), points: Self.points,
      runs: Self.runs(effect: 2, spread: 0.3))
    #expect(e.verdict == .notTestable)
    #expect(e.explanation.hasPrefix("Not testable at this budget: the proxy lacks a premise of the claim — a heat map"))
    #expect(e.explanation.contains("Our numbers, as description only:"))
    // Out of regime too: the premise decides, and the gate's "the check alone would say" is not repeated.
    let gated = evaluate(
      Self.claim(
        Testability(premiseMissing: "a pretrained teacher"),
        regime: Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2)),
      points: Self.points, runs: Self.runs(effect: 2, spread: 0.3))
    #expect(gated.verdict == .notTestable && gated.regime?.met == false)
    #expect(!gated.explanation.contains("would say") && !gated.explanation.contains("Regime not met"))
  }

  @Test func specKeysAreCheckedAndRoundTrip() throws {
    func spec(_ extra: String) -> String {
      """
      id: t
      title: t
      method: dropout
      paper: {cite: c}
      claim:
        text: x
        check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}
      \(extra)
      setting: {paper: p, ours: o}
      base:
        dataset: {name: fashion-mnist, train_size: 128}
        model: {name: mlp, widths: [16]}
        regularizer: {name: dropout, rate: 0.5, at: [hidden1]}
        train: {epochs: 2, batch: 32, lr: 0.05}
      sweep:
        regularizer.rate: [0.0, 0.5]
      seeds: [0, 1]
      """
    }
    let parsed = try ExperimentSpec.parse(yaml: spec("  paper_effect: 0.73\n  premise_missing: \"no pretrained teacher\""))
    #expect(parsed.claim.testability == Testability(paperEffect: 0.73, premiseMissing: "no pretrained teacher"))
    let again = try ExperimentSpec(tree: parsed.tree, file: "t")
    #expect(again.claim.testability == parsed.claim.testability)
    #expect(try ExperimentSpec.parse(yaml: spec("")).claim.testability == nil)
    #expect {
      try ExperimentSpec.parse(yaml: spec("  paper_effect: -1"))
    } throws: { error in
      "\(error)".contains("claim.paper_effect") && "\(error)".contains("must be above 0")
    }
    #expect {
      try ExperimentSpec.parse(yaml: spec("  premise_missing: \" \""))
    } throws: { error in
      "\(error)".contains("claim.premise_missing")
    }
  }
}

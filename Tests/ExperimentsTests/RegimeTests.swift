import Foundation
import Testing

@testable import Experiments

/// The regime gate: a claim's verdict counts only when its reference arm over-fits and every arm has converged.
@Suite struct RegimeTests {
  let points = Sweep(axes: [.values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double))]).points()

  /// A run whose train accuracy follows `train` at epochs 10, 20, …, with test accuracy `test` at the end.
  func run(_ point: GridPoint, seed: Int, train: [Double], test: Double, status: RunStatus = .ok) -> RunRecord {
    let epochs = train.enumerated().map { i, value in
      EpochMetrics(epoch: 10 * (i + 1), trainLoss: 0, metrics: ["train_accuracy": value, "test_accuracy": test])
    }
    return RunRecord(
      key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .null, status: status,
      epochs: epochs, final: ["train_accuracy": train.last!, "test_accuracy": test + Double(seed) * 0.01],
      wallSeconds: 0)
  }

  let regime = Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2, plateau: 1)

  @Test func metWhenTheReferenceOverfitsAndEveryArmPlateaued() {
    let runs = points.flatMap { p in
      (0..<3).map { run(p, seed: $0, train: [90, 99.5, 99.7, 99.8], test: 88) }
    }
    let report = regime.evaluate(points: points, runs: runs)
    #expect(report.met, "\(report.summary)")
    #expect(report.trainMetric == "train_accuracy" && report.testMetric == "test_accuracy")
    #expect(report.rows.map(\.isReference) == [true, false])
    // The window starts at the last evaluation at or before 70% of 40 epochs: epoch 20 (99.5) to 40 (99.8).
    #expect(abs(report.rows[0].lateGain! - 0.3) < 1e-9)
  }

  @Test func notMetWhenTheReferenceDoesNotOverfit() {
    let runs = points.flatMap { p in (0..<3).map { run(p, seed: $0, train: [80, 85, 86, 86.5], test: 86) } }
    let report = regime.evaluate(points: points, runs: runs)
    #expect(!report.met)
    #expect(report.summary.contains("do not over-fit"), "\(report.summary)")
    #expect(report.rows[0].overfits == false)
  }

  @Test func notMetWhenAnArmIsStillRising() {
    let runs = points.flatMap { p in
      (0..<3).map { run(p, seed: $0, train: p.index == 1 ? [60, 70, 80, 90] : [95, 99, 100, 100], test: 85) }
    }
    let report = regime.evaluate(points: points, runs: runs)
    #expect(!report.met)
    #expect(report.rows[1].converged == false && report.rows[0].converged == true)
    #expect(report.summary.contains("not converged"), "\(report.summary)")
  }

  @Test func failedRunsAreLeftOut() {
    var runs = points.flatMap { p in (0..<3).map { run(p, seed: $0, train: [90, 99, 100, 100], test: 88) } }
    runs.append(run(points[1], seed: 3, train: [10, 10, 10, 10], test: 10, status: .stalled))
    #expect(regime.evaluate(points: points, runs: runs).met)
  }

  @Test func gateTurnsTheVerdictIntoProxyInvalidAndKeepsTheCheck() {
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.rate": .double(0.5)], b: ["regularizer.rate": .double(0)], margin: 0))
    let runs = points.flatMap { p in
      (0..<5).map { run(p, seed: $0, train: [80, 85, 86, 86.5], test: p.index == 1 ? 86 : 85) }
    }
    let plain = evaluate(ExperimentSpec.Claim(text: "", check: check), points: points, runs: runs)
    #expect(plain.verdict == .holds && plain.regime == nil)
    let gated = evaluate(ExperimentSpec.Claim(text: "", check: check, regime: regime), points: points, runs: runs)
    #expect(gated.verdict == .proxyInvalid)
    #expect(gated.checkVerdict == .holds)
    #expect(gated.explanation.hasPrefix("Regime not met:"), "\(gated.explanation)")
    #expect(gated.explanation.contains("The check alone would say holds"))
  }

  @Test func parsesAndRejectsAnEmptyRegime() throws {
    let yaml = """
      id: x
      title: t
      method: dropout
      paper: {cite: c, effect: "+1 pt", points: [[0.5, 1.2], [0.8, 1.1]], points_label: "error (%)"}
      claim:
        text: t
        check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}
        regime: {reference: {regularizer.rate: 0.0}, overfit_gap: 2, plateau: 1, over: 0.25}
      setting: {paper: p, ours: o}
      base: {dataset: mnist-5k, model: mlp, regularizer: {name: dropout, rate: 0.5}, train: {epochs: 1, batch: 8, lr: 0.1}}
      sweep: {regularizer.rate: [0.0, 0.5]}
      seeds: [0]
      scales: {smoke: {}, default: {}, full: {}}
      """
    let spec = try ExperimentSpec.parse(yaml: yaml)
    #expect(spec.claim.regime == Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2, plateau: 1, over: 0.25))
    #expect(spec.paper.effect == "+1 pt" && spec.paper.points == [[0.5, 1.2], [0.8, 1.1]])
    let reparsed = try ExperimentSpec(tree: spec.tree, file: "")
    #expect(reparsed == spec)
    let empty = yaml.replacingOccurrences(
      of: "regime: {reference: {regularizer.rate: 0.0}, overfit_gap: 2, plateau: 1, over: 0.25}", with: "regime: {over: 0.3}")
    #expect(throws: SpecError.self) { try ExperimentSpec.parse(yaml: empty) }
  }
}

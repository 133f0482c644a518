import Foundation
import Testing

@testable import Experiments

/// The tuning budget of a comparison of methods: parsing and its errors, the candidates a tuned scale plans (and
/// that an untuned scale plans none), and the choice on the validation metric.
@Suite struct TuningTests {
  static func spec(tune: String, sweep: String? = nil) -> String {
    """
    id: compare
    title: A comparison
    method: dropout
    paper: {cite: "test"}
    claim:
      text: dropout beats none
      check: {kind: better_than, metric: test_accuracy, a: {regularizer: dropout}, b: {regularizer: none}}
    setting: {paper: "p", ours: "o"}
    base:
      dataset: {name: fashion-mnist, train_size: 1000}
      model: {name: cnn}
      regularizer: {name: none}
      train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05}
    sweep:
    \(sweep ?? defaultSweep)
    seeds: [0, 1]
    scales:
      smoke: {seeds: [0]}
      default: {}
      full: {seeds: [0, 1, 2]}
    tune:
    \(tune)
    """
  }

  static let defaultSweep = """
      regularizer:
        - {name: none}
        - {name: dropout, rate: 0.5, at: [fc]}
        - {name: spatial-dropout, rate: 0.1, at: [conv2]}
    """

  static let knobs = """
      knobs:
        dropout: {rate: [0.1, 0.3, 0.5]}
        spatial-dropout: {rate: [0.05, 0.1, 0.2]}
    """

  @Test func plansEveryCandidateWithEverySeedAtATunedScaleOnly() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.spec(tune: Self.knobs))
    #expect(spec.tune?.scales == ["full"] && spec.tune?.metric == "val_accuracy")
    let full = try spec.plan(scale: "full", catalog: .fixture)
    // none: one arm; dropout and spatial-dropout: three candidates each; three seeds.
    #expect(full.runs.count == (1 + 3 + 3) * 3)
    #expect(full.points.count == 3 && full.tuning != nil)
    #expect(full.runs.allSatisfy { $0.config.dataset.validationFraction == 0.1 })
    let dropoutRates = full.runs.filter { $0.config.regularizer.name == "dropout" }
      .map { $0.configTree[path: "regularizer.rate"] }
    #expect(dropoutRates == [0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 0.5, 0.5, 0.5].map { ConfigValue.double($0) })
    let labels = Set(full.runs.map(\.point.label))
    #expect(labels.contains { $0.hasSuffix("· rate=0.3") })
    #expect(full.runs.filter { $0.config.regularizer.name == "none" }.allSatisfy { $0.point.coordinates["tune"] == nil })
    // The untuned scale plans exactly what the spec without the block plans.
    let untuned = try spec.plan(scale: "default", catalog: .fixture)
    var plain = spec
    plain.tune = nil
    #expect(untuned.tuning == nil)
    #expect(untuned.runs.map(\.configTree) == (try plain.plan(scale: "default", catalog: .fixture)).runs.map(\.configTree))
  }

  @Test func theBudgetMustBeTheSameForEveryMethod() {
    let unequal = """
        knobs:
          dropout: {rate: [0.1, 0.3, 0.5]}
          spatial-dropout: {rate: [0.05, 0.1]}
      """
    #expect {
      try ExperimentSpec.parse(yaml: Self.spec(tune: unequal))
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "tune.knobs" && e.message.contains("dropout 3, spatial-dropout 2")
    }
  }

  @Test func everyMethodArmNeedsAKnob() throws {
    let onlyDropout = """
        knobs:
          dropout: {rate: [0.1, 0.3, 0.5]}
      """
    let spec = try ExperimentSpec.parse(yaml: Self.spec(tune: onlyDropout))
    _ = try spec.plan(scale: "default", catalog: .fixture)  // untuned: nothing to say
    #expect {
      try spec.plan(scale: "full", catalog: .fixture)
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "tune.knobs" && e.message.contains("no knob for spatial-dropout")
    }
  }

  @Test func aKnobTheMethodLacksOrTheSweepVariesIsAnError() throws {
    let bogus = """
        knobs:
          dropout: {size: [1, 2, 3]}
          spatial-dropout: {rate: [0.05, 0.1, 0.2]}
      """
    let spec = try ExperimentSpec.parse(yaml: Self.spec(tune: bogus))
    #expect {
      try spec.plan(scale: "full", catalog: .fixture)
    } throws: { error in
      (error as! SpecError).keyPath == "tune.knobs.dropout"
    }
    let swept = try ExperimentSpec.parse(
      yaml: Self.spec(
        tune: """
            knobs:
              dropout: {rate: [0.1, 0.3]}
          """,
        sweep: """
            regularizer.rate: [0.2, 0.5]
          """
      ).replacingOccurrences(of: "regularizer: {name: none}", with: "regularizer: {name: dropout, at: [fc]}")
        .replacingOccurrences(of: "{regularizer: dropout}, b: {regularizer: none}", with: "{regularizer.rate: 0.5}, b: {regularizer.rate: 0.2}"))
    #expect {
      try swept.plan(scale: "full", catalog: .fixture)
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "tune.knobs.dropout" && e.message.contains("sweep already varies regularizer.rate")
    }
  }

  @Test func parseErrorsNameTheKey() {
    for (tune, key) in [
      ("  metric: test_accuracy\n" + Self.knobs, "tune.metric"),
      ("  validation_fraction: 0.7\n" + Self.knobs, "tune.validation_fraction"),
      ("  knobs: {dropout: {rate: [0.5]}}", "tune.knobs.dropout"),
      ("  scales: [full]", "tune.knobs"),
    ] {
      #expect {
        try ExperimentSpec.parse(yaml: Self.spec(tune: tune))
      } throws: { error in
        (error as! SpecError).keyPath == key
      }
    }
  }

  @Test func theBlockRoundTripsThroughTheStoredSpec() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.spec(tune: "  scales: [smoke, full]\n  metric: val_loss\n" + Self.knobs))
    let back = try JSONDecoder().decode(ExperimentSpec.self, from: try JSONEncoder().encode(spec))
    #expect(back == spec && back.tune?.metric == "val_loss" && back.tune?.scales == ["smoke", "full"])
  }

  // MARK: - the choice

  static func record(_ arm: ConfigValue, tune: Double?, seed: Int, val: Double, test: Double, status: RunStatus = .ok)
    -> RunRecord
  {
    var point: [String: ConfigValue] = ["regularizer": arm]
    if let tune { point["tune"] = .map(["rate": .double(tune)]) }
    return RunRecord(
      key: "\(arm)-\(tune ?? -1)-\(seed)", point: point, seed: seed, config: .null, status: status, epochs: [],
      final: status == .ok ? ["val_accuracy": val, "val_loss": 100 - val, "test_accuracy": test] : [:],
      wallSeconds: 1)
  }

  static let none = ConfigValue.map(["name": .string("none")])
  static let dropout = ConfigValue.map(["name": .string("dropout"), "rate": .double(0.5)])
  static let points = [
    GridPoint(coordinates: ["regularizer": none], label: "none", index: 0),
    GridPoint(coordinates: ["regularizer": dropout], label: "dropout", index: 1),
  ]

  @Test func choosesTheBestMeanValidationMetricAndReportsItsTestRunsUnderTheArm() {
    let runs = [
      Self.record(Self.none, tune: nil, seed: 0, val: 80, test: 79),
      Self.record(Self.none, tune: nil, seed: 1, val: 81, test: 80),
      Self.record(Self.dropout, tune: 0.1, seed: 0, val: 84, test: 99),
      Self.record(Self.dropout, tune: 0.1, seed: 1, val: 84, test: 99),
      // Best mean validation (85.5), though its test accuracy is the lowest: the test split plays no part.
      Self.record(Self.dropout, tune: 0.3, seed: 0, val: 85, test: 82),
      Self.record(Self.dropout, tune: 0.3, seed: 1, val: 86, test: 83),
      // Best validation of all, but only one of two seeds finished: not eligible.
      Self.record(Self.dropout, tune: 0.5, seed: 0, val: 95, test: 90),
      Self.record(Self.dropout, tune: 0.5, seed: 1, val: 0, test: 0, status: .diverged),
    ]
    let budget = TuningBudget(knobs: ["dropout": .init(parameter: "rate", values: [0.1, 0.3, 0.5])])
    let (reported, report) = budget.select(points: Self.points, runs: runs.reversed())
    #expect(reported.count == 4)
    #expect(reported.map(\.key) == ["\(Self.none)--1.0-0", "\(Self.none)--1.0-1", "\(Self.dropout)-0.3-0", "\(Self.dropout)-0.3-1"])
    #expect(reported.allSatisfy { $0.point["tune"] == nil })
    #expect(reported[2].point == Self.points[1].coordinates)
    #expect(report.choices.count == 1)
    let choice = report.choices[0]
    #expect(choice.values[choice.chosen] == .double(0.3) && choice.parameter == "rate")
    #expect(Set(choice.finished) == [2, 1])
    #expect(report.candidates.count == 6)
    // A lower-is-better metric picks the smallest mean: val_loss = 100 − val gives the same choice.
    var byLoss = budget
    byLoss.metric = "val_loss"
    #expect(byLoss.select(points: Self.points, runs: runs).report.choices[0].values.count == 3)
    let lossChoice = byLoss.select(points: Self.points, runs: runs).report.choices[0]
    #expect(lossChoice.values[lossChoice.chosen] == .double(0.3))
  }

  @Test func tiesGoToTheFirstCandidateAndAllFailedArmsKeepTheirRuns() {
    let tied = [0.1, 0.3].flatMap { r in (0..<2).map { Self.record(Self.dropout, tune: r, seed: $0, val: 90, test: r * 100) } }
    let budget = TuningBudget(knobs: ["dropout": .init(parameter: "rate", values: [0.1, 0.3])])
    let choice = budget.select(points: Self.points, runs: tied).report.choices[0]
    #expect(choice.values[choice.chosen] == .double(0.1))
    let failed = [0.1, 0.3].flatMap { r in
      (0..<2).map { Self.record(Self.dropout, tune: r, seed: $0, val: 0, test: 0, status: .diverged) }
    }
    let (runs, report) = budget.select(points: Self.points, runs: failed)
    #expect(report.choices[0].chosen == 0 && report.choices[0].validation == [nil, nil])
    #expect(runs.count == 2 && runs.allSatisfy { $0.status == .diverged })
  }
}

import Foundation
import Testing

@testable import Experiments

/// Regime rule v2's conditions one by one: budget robustness from a calibration record (c), near-interpolation on
/// Dice and the exemption of a method whose evaluation differs from its training (b), the schedule deciding
/// between (c) and (e), the new spec keys, and reports stored before v2.
@Suite struct ConvergenceTests {
  let points = Sweep(axes: [.values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double))]).points()
  let regime = Regime(
    reference: ["regularizer.rate": .double(0)], overfitGap: 2, plateau: 1,
    mostRegularized: ["regularizer.rate": .double(0.5)])

  /// Five seeds per point trained `epochs` epochs on `schedule`, ending at `train` (reference) and 97 (rate 0.5).
  func runs(schedule: String = "cosine", epochs: Int = 60, train: Double = 99.8, lr: Double = 0.05) -> [RunRecord] {
    points.flatMap { p in
      (0..<5).map { seed in
        let fit = (p.index == 0 ? train : 97) + 0.02 * Double(seed)
        return RunRecord(
          key: "\(p.index)-\(seed)", point: p.coordinates, seed: seed,
          config: .map(["train": .map(["schedule": .string(schedule), "epochs": .int(epochs), "lr": .double(lr)])]),
          status: .ok,
          epochs: [30, 45, 60].map { e in
            EpochMetrics(
              epoch: e * epochs / 60, trainLoss: 0.05, metrics: ["train_accuracy": fit, "test_accuracy": 86])
          },
          final: ["train_accuracy": fit, "test_accuracy": 86 + 0.01 * Double(seed)], wallSeconds: 0)
      }
    }
  }

  /// A pilot of both arms at `half` and `full` epochs; each seed's final accuracy changes by `change(arm) + noise`.
  func calibration(
    half: Int = 30, full: Int = 60, metric: String = "train_accuracy", seeds: Int = 5, change: (Int) -> Double,
    noise: [Double] = [0, 0.1, -0.1, 0.05, -0.05]
  ) -> CalibrationRecord {
    CalibrationRecord(
      metric: metric,
      arms: points.map { p in
        let base = p.index == 0 ? 99.5 : 96.5
        return CalibrationRecord.Arm(
          point: p.coordinates,
          budgets: [
            .init(epochs: half, finals: Dictionary(uniqueKeysWithValues: (0..<seeds).map { (100 + $0, base) })),
            .init(
              epochs: full,
              finals: Dictionary(
                uniqueKeysWithValues: (0..<seeds).map { (100 + $0, base + change(p.index) + noise[$0 % noise.count]) })),
          ])
      })
  }

  @Test func budgetRobustnessDecidesAnnealedSchedules() {
    let robust = regime.evaluate(points: points, runs: runs(), calibration: calibration { _ in 0.3 })
    #expect(robust.met, "\(robust.summary)")
    #expect(robust.rows.allSatisfy { $0.budgetRobust == true && $0.lossSettled == nil && $0.schedule == "cosine" })
    #expect(abs(robust.rows[1].budgetChange! - 0.3) < 1e-9)
    #expect(robust.budgetMargin == 1 && robust.calibrated == true && robust.plateauLoss == nil)
    #expect(robust.summary.contains("moves by at most 1 pt between complete schedules of E/2 and E"))
    // The regularized arm still gains 2.5 pt with twice the budget: shown to move.
    let moving = regime.evaluate(points: points, runs: runs(), calibration: calibration { $0 == 1 ? 2.5 : 0.3 })
    #expect(!moving.met && moving.rows[1].shownBudgetSensitive(1) && moving.rows[0].budgetRobust == true)
    #expect(moving.summary.contains("1 arm moves with the budget (final train_accuracy changed by more than 1 pt"))
    // A change of 0.8 pt whose interval reaches past 1: not shown.
    let unshown = regime.evaluate(
      points: points, runs: runs(), calibration: calibration(change: { _ in 0.8 }, noise: [0, 0.4, -0.4, 0.3, -0.3]))
    #expect(!unshown.met && unshown.summary.contains("not shown budget robust"), "\(unshown.summary)")
    // A fall counts as a change too: the interval must lie within ±margin.
    let falls = regime.evaluate(points: points, runs: runs(), calibration: calibration { $0 == 1 ? -2 : 0 })
    #expect(!falls.met && falls.rows[1].shownBudgetSensitive(1))
  }

  /// The pilot vouches for the rung it trained: a run whose config differs from the chosen rung in any setting (not
  /// only E) is not covered; the sweep's own coordinates and the evaluation cadence are not compared.
  @Test func aCalibratedRungVouchesOnlyForRunsAtEverySetting() {
    func gate(_ settings: [String: ConfigValue], runs r: [RunRecord]? = nil) -> RegimeReport {
      var c = calibration { _ in 0.3 }
      c.settings = settings
      return regime.evaluate(points: points, runs: r ?? runs(), calibration: c)
    }
    let same = gate(["train.lr": .double(0.05), "train.epochs": .int(60), "train.eval_every": .int(7)])
    #expect(same.met, "\(same.summary)")
    // 60 and 60.0 are one budget.
    #expect(gate(["train.epochs": .double(60)]).met)
    let other = gate(["train.lr": .double(0.01), "train.epochs": .int(60)])
    #expect(!other.met)
    #expect(
      other.rows.allSatisfy {
        $0.budgetNote == "budget robustness not measured — calibrated at train.lr = 0.01, these runs train at 0.05"
      }, "\(other.rows.map(\.budgetNote))")
    #expect(!gate(["train.optimizer": .string("adam")]).met)
    #expect(gate(["train.optimizer": .string("adam")]).rows[0].budgetNote?.contains("these runs train at no train.optimizer") == true)
    // A setting the sweep decides at each point is the pilot arm's own value: not compared.
    #expect(gate(["regularizer.rate": .double(0.9)]).met)
    // Without settings (a record read from a rung, or an older results file) only E is compared, as before.
    #expect(gate([:]).met)
  }

  /// `recordForGate` carries the chosen rung's settings; the spec-as-written fallback carries none.
  @Test func theGateRecordCarriesTheChosenRungsSettings() {
    let record = calibration { _ in 0.3 }
    func rung(_ settings: [String: ConfigValue], meets: Bool) -> CalibrationFile.Rung {
      .init(settings: settings, imagesPerRun: 1, epochs: 60, record: record, rows: [], meets: meets, why: [])
    }
    var file = CalibrationFile(
      experimentID: "x", specHash: "h", pilotSeeds: [100], rungs: [rung([:], meets: false), rung(["train.lr": .double(0.01)], meets: true)],
      chosen: 1, recalibration: false, gitCommit: "c")
    #expect(file.recordForGate?.settings == ["train.lr": .double(0.01)])
    #expect(file.chosenRecord?.settings == nil)
    file.chosen = nil
    #expect(file.recordForGate != nil && file.recordForGate?.settings == nil)
  }

  @Test func budgetRobustnessIsNotMeasuredWithoutAMatchingCalibration() {
    let none = regime.evaluate(points: points, runs: runs())
    #expect(!none.met && none.calibrated == false)
    #expect(none.rows.allSatisfy { $0.budgetNote == "budget robustness not measured — no calibration record" })
    #expect(
      none.summary.hasPrefix("Regime not met: budget robustness not measured — no calibration record"),
      "\(none.summary)")
    func note(_ c: CalibrationRecord, runs r: [RunRecord]? = nil) -> String {
      let report = regime.evaluate(points: points, runs: r ?? runs(), calibration: c)
      #expect(!report.met)
      return report.summary
    }
    #expect(note(calibration(metric: "train_dice") { _ in 0 }).contains("the calibration record is on train_dice"))
    #expect(
      note(calibration { _ in 0 }, runs: runs(epochs: 30)).contains(
        "calibrated at 30 and 60 epochs, these runs train 30"))
    #expect(note(calibration(half: 20) { _ in 0 }).contains("lacks two schedules of E/2 and E epochs"))
    #expect(note(calibration(seeds: 1) { _ in 0 }).contains("fewer than two pilot seeds"))
    var referenceOnly = calibration { _ in 0 }
    referenceOnly.arms.removeLast()
    #expect(note(referenceOnly).contains("has no run of regularizer.rate=0.5"))
    // With a record, a regime that names no most-regularized arm has not had one checked.
    let unnamed = Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2, plateau: 1)
    let report = unnamed.evaluate(points: points, runs: runs(), calibration: calibration { _ in 0 })
    #expect(!report.met && report.summary.contains("names no most_regularized"), "\(report.summary)")
    // A training-mode metric stands in for the gate's metric.
    #expect(
      regime.evaluate(points: points, runs: runs(), calibration: calibration(metric: "train_mode_accuracy") { _ in 0 })
        .met)
  }

  /// Budget robustness is an equivalence test at 5% per side (two one-sided t-tests; the 90% interval within the
  /// margin, rule v3): with the true change exactly at the margin, shown robust in at most 5% of pilots (+3
  /// Monte-Carlo SE) at 5 and 20 seeds; with no change, mostly shown.
  @Test func budgetRobustnessIsAnEquivalenceTestAtFivePercent() {
    var normal = NullErrorRateTests.Normal(seed: 2627)
    let experiments = 1000
    let ceiling = 0.05 + 3 * (0.05 * 0.95 / Double(experiments)).squareRoot()
    let gate = Regime(reference: ["regularizer.rate": .double(0)], fit: 2)
    let runs = runs().filter { $0.point == points[0].coordinates }
    for n in [5, 20] {
      func rate(_ trueChange: Double) -> Double {
        var shown = 0
        for _ in 0..<experiments {
          let noise = (0..<n).map { _ in 0.5 * normal.next() }
          let c = calibration(seeds: n, change: { _ in trueChange }, noise: noise)
          if gate.evaluate(points: [points[0]], runs: runs, calibration: c).met { shown += 1 }
        }
        return Double(shown) / Double(experiments)
      }
      let (atMargin, belowMargin, flat) = (rate(1), rate(-1), rate(0))
      print(
        String(
          format: "budget robustness, n = %d pilot seeds, sd 0.5 pt: shown robust %.3f at +margin, %.3f at −margin, "
            + "%.3f with no change", n, atMargin, belowMargin, flat))
      #expect(atMargin <= ceiling, "n = \(n): robust shown in \(atMargin) at the margin")
      #expect(belowMargin <= ceiling)
      #expect(flat >= (n == 5 ? 0.5 : 0.95), "n = \(n): a budget-robust arm should mostly be shown robust")
    }
  }

  /// (b) on Dice: a U-Net reference at 91% train Dice is not near interpolation; at 99.5% it is.
  @Test func nearInterpolationOnDice() {
    func segmentation(_ dice: Double) -> [RunRecord] {
      (0..<5).map { seed in
        RunRecord(
          key: "\(seed)", point: points[0].coordinates, seed: seed, config: .null, status: .ok,
          epochs: [10, 20, 30].map { EpochMetrics(epoch: $0, trainLoss: 0.1, metrics: [:]) },
          final: ["train_dice": dice + 0.1 * Double(seed), "dice": 30, "train_loss": 0.12], wallSeconds: 0)
      }
    }
    let gate = Regime(overfitGap: 2, plateau: 1)
    let low = gate.evaluate(points: [points[0]], runs: segmentation(91))
    #expect(low.trainMetric == "train_dice" && !low.met && low.rows[0].shownNotToFit(2))
    #expect(low.summary.contains("train error (100 − train_dice) above 2 pt"), "\(low.summary)")
    #expect(gate.evaluate(points: [points[0]], runs: segmentation(99.5)).met)
  }

  /// A method whose eval-mode train loss is twice its training-mode loss (Heuristic Dropout, input dropout) is not
  /// held to an eval-mode fit: read on its training-mode metric when recorded, otherwise exempt, and said so.
  @Test func aTrainEvalMismatchIsNotGatedOnTheEvalModeFit() {
    func runs(evalLoss: Double, trainMode: Double? = nil) -> [RunRecord] {
      (0..<5).map { seed in
        var final = ["train_dice": 42 + Double(seed), "dice": 30, "train_loss": evalLoss]
        if let trainMode { final["train_mode_dice"] = trainMode }
        return RunRecord(
          key: "\(seed)", point: points[0].coordinates, seed: seed, config: .null, status: .ok,
          epochs: [10, 20, 30].map { EpochMetrics(epoch: $0, trainLoss: 0.40, metrics: [:]) }, final: final,
          wallSeconds: 0)
      }
    }
    let gate = Regime(overfitGap: 2, plateau: 1)
    let exempt = gate.evaluate(points: [points[0]], runs: runs(evalLoss: 0.84))
    #expect(exempt.met, "\(exempt.summary)")
    #expect(exempt.rows[0].fits == nil && exempt.rows[0].converged == true)
    #expect(
      exempt.summary.contains(
        "exempt from the fit condition: evaluation mode differs from training mode (eval-mode train loss 0.84 vs 0.4 in training mode), and no train_mode_dice is recorded"
      ), "\(exempt.summary)")
    let read = gate.evaluate(points: [points[0]], runs: runs(evalLoss: 0.84, trainMode: 99))
    #expect(read.met && read.rows[0].fits == true && read.rows[0].fitError == 1)
    #expect(read.summary.contains("fit read on train_mode_dice"))
    // A training-mode fit that falls short still fails.
    #expect(!gate.evaluate(points: [points[0]], runs: runs(evalLoss: 0.84, trainMode: 90)).met)
    // Below 1.5× the training-mode loss the eval-mode fit decides: 42% train Dice does not fit.
    let matched = gate.evaluate(points: [points[0]], runs: runs(evalLoss: 0.5))
    #expect(!matched.met && matched.rows[0].fits == false && matched.rows[0].fitNote == nil)
  }

  /// The schedule the runs recorded picks the convergence condition: (c) for cosine and step, (e) for constant.
  @Test func theScheduleDecidesBetweenBudgetAndLossConditions() {
    for schedule in ["cosine", "step"] {
      let r = regime.evaluate(points: points, runs: runs(schedule: schedule), calibration: calibration { _ in 0 })
      #expect(r.met && r.rows.allSatisfy { $0.budgetRobust == true && $0.lossFall == nil }, "\(schedule): \(r.summary)")
    }
    let constant = regime.evaluate(points: points, runs: runs(schedule: "constant"))
    #expect(constant.met, "\(constant.summary)")
    #expect(constant.rows.allSatisfy { $0.budgetRobust == nil && $0.lossSettled == true })
    #expect(constant.plateauLoss == 0.01 && constant.budgetMargin == nil && constant.calibrated == nil)
  }

  /// A regime with only `overfit_gap` asks for no convergence: (a) and (d) only, as before.
  @Test func overfittingAloneAsksForNoConvergence() {
    let gapOnly = Regime(reference: ["regularizer.rate": .double(0)], overfitGap: 2)
    #expect(!gapOnly.needsConvergence)
    let report = gapOnly.evaluate(points: points, runs: runs(train: 95))
    #expect(report.met, "\(report.summary)")
    #expect(report.rows.allSatisfy { $0.fits == nil && $0.budgetRobust == nil && $0.converged == nil })
  }

  @Test func parsesTheNewKeysAndRejectsBadValues() throws {
    let block =
      "{reference: {regularizer.rate: 0.0}, overfit_gap: 2, fit: 1.5, budget_margin: 0.5, most_regularized: {regularizer.rate: 0.5}, plateau_loss: 0.02}"
    let yaml = RegimeTests.specYAML(regime: block)
    let spec = try ExperimentSpec.parse(yaml: yaml)
    #expect(
      spec.claim.regime
        == Regime(
          reference: ["regularizer.rate": .double(0)], overfitGap: 2, fit: 1.5, budgetMargin: 0.5,
          mostRegularized: ["regularizer.rate": .double(0.5)], plateauLoss: 0.02))
    #expect(try ExperimentSpec(tree: spec.tree, file: "") == spec)
    let mse = yaml.replacingOccurrences(of: block, with: "{overfit_gap: 0.02, noise_floor: 0.09}")
    #expect(try ExperimentSpec.parse(yaml: mse).claim.regime?.noiseFloor == 0.09)
    let broken: [(String, String, String)] = [
      ("{fit: 150}", "fit", "must be in (0, 100), the train error allowed in points, got 150"),
      ("{budget_margin: 0}", "budget_margin", "must be positive, got 0"),
      ("{plateau_loss: -1}", "plateau_loss", "must be ≥ 0, got -1"),
      ("{fit_mse: 0.05, noise_floor: 0.09}", "fit_mse", "give fit_mse or noise_floor, not both"),
      ("{noise_floor: 0}", "noise_floor", "must be the target's positive noise variance, got 0"),
      ("{most_regularized: {}}", "most_regularized", "must name an arm"),
      (
        "{reference: {regularizer.rate: 0.0}, most_regularized: {regularizer.rate: 0.0}}", "most_regularized",
        "names the reference itself"
      ),
      ("{fitt: 2}", "fitt", "unknown key 'fitt' (did you mean 'fit'?"),
    ]
    for (regime, key, message) in broken {
      #expect {
        try ExperimentSpec.parse(
          yaml: yaml.replacingOccurrences(of: block, with: regime), fileName: "Experiments/x.yaml")
      } throws: { error in
        guard let e = error as? SpecError else { return false }
        return e.keyPath == "claim.regime.\(key)" && e.file == "Experiments/x.yaml"
          && e.description.contains("claim.regime.\(key): \(message)")
      }
    }
  }

  /// Results files store the regime report: one written before v2 (no rule, no v2 fields) still decodes, and a v2
  /// report and a calibration record survive a JSON round trip.
  @Test func reportsAndCalibrationRecordsAreCodable() throws {
    let v1 = """
      {"trainMetric": "train_accuracy", "testMetric": "test_accuracy", "overfitGap": 2, "plateau": 1, "over": 0.3,
       "met": false, "summary": "Regime not met.",
       "rows": [{"label": "none", "isReference": true, "finished": 5, "train": 99.1, "test": 85.6, "lateGain": 2.25,
                 "lateGainLow": 0.43, "lateGainHigh": 4.07, "gapLow": 13.2, "gapHigh": 14.0, "overfits": true,
                 "converged": false}]}
      """
    let old = try JSONDecoder().decode(RegimeReport.self, from: Data(v1.utf8))
    #expect(old.rule == nil && old.rows[0].fits == nil && old.rows[0].schedule == nil && old.rows[0].lateGain == 2.25)
    let c = calibration { _ in 0.2 }
    let report = regime.evaluate(points: points, runs: runs(), calibration: c)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    #expect(try JSONDecoder().decode(RegimeReport.self, from: encoder.encode(report)) == report)
    let json = try encoder.encode(c)
    #expect(String(decoding: json, as: UTF8.self).contains(#""finals":{"100":"#))
    #expect(try JSONDecoder().decode(CalibrationRecord.self, from: json) == c)
  }
}

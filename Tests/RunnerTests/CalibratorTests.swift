import Datasets
import Experiments
import Foundation
import Tensor
import Testing

@testable import Runner

/// `dropbench calibrate` is blind to the verdict: pilots train only the reference and the most-regularized arm, on
/// seeds disjoint from the verdict's, and no pilot evaluates the test split.
@Suite struct CalibratorTests {
  static let spec = """
    id: tiny-cal
    title: t
    method: dropout
    paper: {cite: "c", where: "w", result: "r"}
    claim:
      text: x
      check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}
      regime: {reference: {regularizer.rate: 0.0}, most_regularized: {regularizer.rate: 0.8}, overfit_gap: 2, plateau: 1}
    setting: {paper: p, ours: o}
    base:
      dataset: {name: fashion-mnist, train_size: 128, test_size: 64}
      model: {name: mlp, widths: [16]}
      regularizer: {name: dropout, rate: 0.5, at: [hidden1]}
      train: {epochs: 4, batch: 32, optimizer: sgd, lr: 0.05, schedule: cosine}
    sweep:
      regularizer.rate: [0.0, 0.5, 0.8]
    seeds: [0, 1]
    calibration:
      pilot_seeds: [100, 101]
      ladder: [{train.epochs: 8}, {train.epochs: 4}]
    """

  @Test func pilotsTrainOnlyTheRegimeArmsAtHalfAndFullBudgetOnPilotSeeds() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.spec)
    let kernels = KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2")
    let (rungs, all) = try Calibrator.pilots(spec: spec, catalog: CatalogBuilder.catalog, kernels: kernels)
    let pilots = all.filter { !$0.isProbe }
    // Cheapest first: the 4-epoch rung before the 8-epoch one.
    #expect(rungs.map(\.epochs) == [4, 8])
    #expect(Set(pilots.map { $0.point.coordinates["regularizer.rate"]!.asDouble! }) == [0.0, 0.8])
    #expect(Set(pilots.map(\.seed)) == [100, 101])
    #expect(Set(pilots.filter { $0.rung == 0 }.map(\.epochs)) == [2, 4])
    #expect(Set(pilots.filter { $0.rung == 1 }.map(\.epochs)) == [4, 8])
    // One evaluation, at the end of each complete schedule; keys apart from any verdict run's.
    #expect(pilots.allSatisfy { $0.config.train.evalEvery == $0.config.train.epochs })
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    let verdictKeys = Set(try ExperimentRunner.keyedRuns(plan, kernels: kernels).map(\.key))
    #expect(verdictKeys.isDisjoint(with: pilots.map(\.key)))
    let same = pilots[0]
    let checksums = try DatasetRegistry.fileChecksums(
      same.config.dataset.name, options: RunExecutor.datasetOptions(same.config))
    #expect(RunCache.key(configTree: same.config.tree, datasetChecksums: checksums, kernels: "Haswell/avx2") != same.key)
  }

  /// Under a constant rate there is no annealing to compare budgets across: one schedule of E epochs per pilot,
  /// evaluated as the spec evaluates, for the loss-plateau condition.
  @Test func aConstantRateSpecPilotsOneScheduleWithItsEvaluations() throws {
    let yaml = Self.spec.replacingOccurrences(of: ", schedule: cosine}", with: ", eval_every: 1}")
    let spec = try ExperimentSpec.parse(yaml: yaml)
    let (_, pilots) = try Calibrator.pilots(
      spec: spec, catalog: CatalogBuilder.catalog, kernels: KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"))
    let full = pilots.filter { !$0.isProbe }
    #expect(full.allSatisfy { $0.isFull && $0.config.train.evalEvery == 1 })
    #expect(Set(full.filter { $0.rung == 0 }.map(\.epochs)) == [4])
    #expect(full.count == 2 * 2 * 2)  // two rungs × two arms × two pilot seeds
  }

  @Test func pilotSeedsMustBeDisjointFromTheVerdicts() {
    let clash = Self.spec.replacingOccurrences(of: "pilot_seeds: [100, 101]", with: "pilot_seeds: [1, 101]")
    #expect(throws: SpecError.self) { try ExperimentSpec.parse(yaml: clash) }
    let noArm = Self.spec.replacingOccurrences(of: "most_regularized: {regularizer.rate: 0.8}, ", with: "")
    let spec = try! ExperimentSpec.parse(yaml: noArm)
    #expect(throws: RunnerError.self) {
      try Calibrator.pilots(spec: spec, catalog: CatalogBuilder.catalog, kernels: KernelSelection.automatic())
    }
  }

  /// A pilot never computes a test metric, and trains exactly as the run it stands for: the same epochs' training
  /// losses and training-set metrics, bit for bit.
  @Test func aPilotSeesNoTestMetricAndTrainsTheSame() throws {
    let config = try SeveralRegularizersTests.resolve(
      SeveralRegularizersTests.run("{name: dropout, rate: 0.5}", train: "{epochs: 2, batch: 32, lr: 0.1}"))
    let normal = try RunExecutor().execute(config, key: "a", point: [:], configTree: config.tree)
    let executor = RunExecutor()
    executor.pilot = true
    let pilot = try executor.execute(config, key: "b", point: [:], configTree: config.tree)
    #expect(normal.final.keys.contains("test_accuracy"))
    let metrics = pilot.final.keys.sorted() + pilot.epochs.flatMap(\.metrics.keys)
    #expect(!metrics.contains { $0.hasPrefix("test_") || $0 == "dice" || $0 == "mse" || $0 == "iou" })
    #expect(pilot.epochs.map(\.trainLoss) == normal.epochs.map(\.trainLoss))
    #expect(pilot.final["train_accuracy"] == normal.final["train_accuracy"])
    // Scored instead on held-out images of the training pool (rule v3's condition (c)); a verdict run is not.
    #expect(pilot.final["heldout_accuracy"] != nil && pilot.final["heldout_loss"] != nil)
    #expect(!normal.final.keys.contains { $0.hasPrefix("heldout_") })
  }

  /// The file: the cheapest rung meeting the conditions is chosen; a rung whose pilots are missing does not meet.
  @Test func theCheapestRungMeetingTheConditionsIsChosen() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.spec)
    let (rungs, pilots) = try Calibrator.pilots(
      spec: spec, catalog: CatalogBuilder.catalog, kernels: KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"))
    // Hand-made records: every pilot at 100% train accuracy, except the first rung's half budget at 90%.
    var records: [String: RunRecord] = [:]
    for p in pilots {
      let accuracy = p.rung == 0 && p.epochs == 2 ? 90.0 + Double(p.seed - 100) : 100.0
      records[p.key] = RunRecord(
        key: p.key, point: p.point.coordinates, seed: p.seed, config: p.config.tree, status: .ok,
        epochs: [EpochMetrics(epoch: p.epochs, trainLoss: 0.01, metrics: ["train_accuracy": accuracy, "train_loss": 0.01])],
        final: ["train_accuracy": accuracy, "train_loss": 0.01], wallSeconds: 1)
    }
    let file = Calibrator.assemble(
      spec: spec, specHash: "h", rungs: rungs, pilots: pilots, records: records, recalibration: false, gitCommit: "c")
    #expect(file.rungs.count == 2 && !file.rungs[0].meets && file.rungs[1].meets, "\(file.rungs.map(\.why))")
    #expect(file.chosen == 1 && file.chosenRecord == file.rungs[1].record)
    #expect(file.rungs[0].why.contains { $0.contains("train_accuracy") || $0.contains("margin") || $0.contains("budget") })
    var partial = records
    partial.removeValue(forKey: pilots.first { $0.rung == 1 }!.key)
    let missing = Calibrator.assemble(
      spec: spec, specHash: "h", rungs: rungs, pilots: pilots, records: partial, recalibration: false, gitCommit: "c")
    #expect(missing.chosen == nil)
  }

  /// Rule v3: pilots scored on held-out images are judged on that score. A regularized arm still climbing 3–6 pt on
  /// its training set from E/2 to E while its held-out accuracy stays put meets (c); the same pilots without a
  /// held-out score are judged on the train metric, as under v2, and do not.
  @Test func budgetRobustnessReadsTheHeldOutScoreWhenThePilotsHaveOne() throws {
    let spec = try ExperimentSpec.parse(yaml: Self.spec)
    let (rungs, pilots) = try Calibrator.pilots(
      spec: spec, catalog: CatalogBuilder.catalog, kernels: KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2"))
    func records(heldOut: Bool) -> [String: RunRecord] {
      var out: [String: RunRecord] = [:]
      for p in pilots {
        let jitter = Double(p.seed - 100) * 0.05
        // A record belongs to its training (rungs share schedules: rung 1's E/2 is rung 0's E), so the figures
        // depend on the epochs alone: train 88 → 94 → 97% at 2, 4, 8 epochs; held-out 85% give or take 0.08.
        let train = p.isReference ? 100 : 100 - 24 / Double(p.epochs) + jitter
        var final = ["train_accuracy": train, "train_loss": 0.01]
        if heldOut { final["heldout_accuracy"] = 85 + jitter + 0.01 * Double(p.epochs) }
        out[p.key] = RunRecord(
          key: p.key, point: p.point.coordinates, seed: p.seed, config: p.config.tree, status: .ok,
          epochs: [EpochMetrics(epoch: p.epochs, trainLoss: 0.01, metrics: final)], final: final, wallSeconds: 1)
      }
      return out
    }
    let v3 = Calibrator.assemble(
      spec: spec, specHash: "h", rungs: rungs, pilots: pilots, records: records(heldOut: true), recalibration: false,
      gitCommit: "c")
    #expect(v3.chosen == 0, "\(v3.rungs.map(\.why))")
    #expect(v3.rungs[0].record.heldOutMetric == "heldout_accuracy")
    #expect(v3.rungs[0].rows.allSatisfy { $0.budgetMetric == "heldout_accuracy" })
    let v2 = Calibrator.assemble(
      spec: spec, specHash: "h", rungs: rungs, pilots: pilots, records: records(heldOut: false), recalibration: false,
      gitCommit: "c")
    #expect(v2.chosen == nil && v2.rungs[0].record.heldOutMetric == nil, "\(v2.rungs.map(\.why))")
    #expect(v2.rungs[0].why.contains { $0.contains("train_accuracy") }, "\(v2.rungs[0].why)")
  }

  /// Trainability probes: every arm the pilots do not train gets one short complete schedule (E/10 epochs, at least
  /// one) on the first pilot seed, no test metric, keyed apart from the verdict's runs; an arm that diverges there
  /// makes its rung fail without its pilots, and the next rung can still be chosen. A re-score plans none.
  @Test func probesCheckTheOtherArmsTrainBeforeARungIsPaidFor() throws {
    // Rungs of 20 and 40 epochs: probes of 2 and 4 epochs (distinct trainings, so distinct records).
    let spec = try ExperimentSpec.parse(
      yaml: Self.spec.replacingOccurrences(of: "ladder: [{train.epochs: 8}, {train.epochs: 4}]", with: "ladder: [{train.epochs: 40}, {train.epochs: 20}]"))
    let kernels = KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2")
    let (rungs, pilots) = try Calibrator.pilots(spec: spec, catalog: CatalogBuilder.catalog, kernels: kernels)
    let probes = pilots.filter(\.isProbe)
    #expect(probes.count == 2)  // one other arm (rate 0.5) on each of two rungs
    #expect(probes.allSatisfy { $0.point.coordinates["regularizer.rate"] == .double(0.5) && $0.seed == 100 })
    #expect(probes.map(\.epochs) == [2, 4] && Calibrator.probeEpochs(30) == 3 && Calibrator.probeEpochs(4) == 1)
    #expect(probes.allSatisfy { $0.config.train.evalEvery == $0.config.train.epochs && !$0.isFull })
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    #expect(Set(try ExperimentRunner.keyedRuns(plan, kernels: kernels).map(\.key)).isDisjoint(with: probes.map(\.key)))
    let (_, rescored) = try Calibrator.pilots(spec: spec, catalog: CatalogBuilder.catalog, kernels: kernels, probes: false)
    #expect(rescored.allSatisfy { !$0.isProbe } && rescored.count == pilots.count - 2)
    // Every pilot settles; the cheap rung's probe diverges.
    var records: [String: RunRecord] = [:]
    for p in pilots {
      let diverges = p.isProbe && p.rung == 0
      records[p.key] = RunRecord(
        key: p.key, point: p.point.coordinates, seed: p.seed, config: p.config.tree,
        status: diverges ? .diverged : .ok, divergedAtStep: diverges ? 83 : nil,
        epochs: [EpochMetrics(epoch: p.epochs, trainLoss: 0.01, metrics: ["train_accuracy": 100, "heldout_accuracy": 85])],
        final: ["train_accuracy": 100, "train_loss": 0.01, "heldout_accuracy": 85], wallSeconds: 1)
    }
    let file = Calibrator.assemble(
      spec: spec, specHash: "h", rungs: rungs, pilots: pilots, records: records, recalibration: false, gitCommit: "c")
    #expect(!file.rungs[0].meets && file.rungs[0].rows.isEmpty && file.rungs[0].record.arms.isEmpty)
    #expect(file.rungs[0].why == ["regularizer.rate=0.5: trainability probe diverged at step 83 (2 epochs, seed 100)"])
    #expect(file.rungs[0].probes?.map(\.outcome) == ["diverged at step 83"])
    #expect(file.chosen == 1 && file.rungs[1].probes?.allSatisfy(\.trained) == true, "\(file.rungs.map(\.why))")
    // The record round-trips, probes and all; records made before probes decode with none.
    let decoded = try JSONDecoder().decode(CalibrationFile.self, from: JSONEncoder().encode(file))
    #expect(decoded == file)
  }

  /// `calibration.probes: {length: full, seeds: all}`: each other arm trains the rung's whole E on every pilot seed
  /// (an instability that strikes one seed, an arm still training late), still keyed apart from the verdict's runs;
  /// the default stays E/10 on the first seed, and a spec without the key keeps its hash.
  @Test func fullLengthProbesOnEverySeedWhenTheSpecAsks() throws {
    let kernels = KernelSelection(blasCoreType: "Haswell", dnnlISA: "avx2")
    let yaml = Self.spec.replacingOccurrences(
      of: "ladder: [{train.epochs: 8}, {train.epochs: 4}]",
      with: "ladder: [{train.epochs: 8}, {train.epochs: 4}]\n  probes: {length: full, seeds: all}")
    let spec = try ExperimentSpec.parse(yaml: yaml)
    #expect(spec.calibration?.fullLengthProbes == true && spec.calibration?.probeSeeds == [100, 101])
    let (_, pilots) = try Calibrator.pilots(spec: spec, catalog: CatalogBuilder.catalog, kernels: kernels)
    let probes = pilots.filter(\.isProbe)
    #expect(probes.count == 4)  // the rate-0.5 arm, two seeds, two rungs
    #expect(probes.map(\.epochs).sorted() == [4, 4, 8, 8] && Set(probes.map(\.seed)) == [100, 101])
    #expect(probes.allSatisfy { !$0.isFull && $0.config.train.evalEvery == $0.config.train.epochs })
    let plan = try spec.plan(scale: "default", catalog: CatalogBuilder.catalog)
    #expect(Set(try ExperimentRunner.keyedRuns(plan, kernels: kernels).map(\.key)).isDisjoint(with: probes.map(\.key)))
    // The default, and the hash of a spec that does not set the key.
    let plain = try ExperimentSpec.parse(yaml: Self.spec)
    #expect(plain.calibration?.fullLengthProbes == false && plain.calibration?.probeSeeds == [100])
    let defaulted = try ExperimentSpec.parse(
      yaml: Self.spec.replacingOccurrences(
        of: "ladder: [{train.epochs: 8}, {train.epochs: 4}]",
        with: "ladder: [{train.epochs: 8}, {train.epochs: 4}]\n  probes: {length: tenth, seeds: first}"))
    #expect(defaulted.calibration == plain.calibration && defaulted.tree == plain.tree)
    #expect(spec.tree != plain.tree)
    // A misspelt choice names the key and the fix.
    let bad = Self.spec.replacingOccurrences(
      of: "ladder: [{train.epochs: 8}, {train.epochs: 4}]",
      with: "ladder: [{train.epochs: 8}, {train.epochs: 4}]\n  probes: {length: half}")
    #expect {
      try ExperimentSpec.parse(yaml: bad)
    } throws: { error in
      "\(error)".contains("calibration.probes.length") && "\(error)".contains("tenth or full")
    }
  }
}

import Experiments
import Foundation
import Tensor

extension CalibrationFile {
  /// The file of `id`, nil when there is none; a damaged file is an error naming it.
  public static func load(experiments: String, id: String) throws -> CalibrationFile? {
    let url = url(experiments: experiments, id: id)
    guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
    do {
      return try JSONDecoder().decode(CalibrationFile.self, from: data)
    } catch {
      throw RunnerError.badParameter(
        "calibration", "\(url.path) is not a readable calibration record (\(error)); re-run dropbench calibrate")
    }
  }
}

/// Runs the pilots of a spec's calibration ladder (`CalibrationPlan`) and chooses its rung.
public enum Calibrator {
  /// One pilot run: an arm at one budget and one pilot seed.
  public struct Pilot: Sendable {
    public var rung: Int
    public var point: GridPoint
    public var isReference: Bool
    public var epochs: Int
    /// The longer of the two schedules (the verdict runs' E of this point).
    public var isFull: Bool
    public var seed: Int
    public var config: RunConfig
    public var key: String
    /// A trainability probe (`CalibrationFile.Probe`) of an arm the pilots do not otherwise train.
    public var isProbe = false
  }

  /// A probe's schedule: a tenth of the rung's E, at least one epoch — long enough for the early divergence of a
  /// too-high learning rate (the committed DropConnect and Structural Dropout runs diverged within 150 steps) or
  /// a net whose units all died to show, short enough to cost a tenth of one verdict run per arm.
  public static func probeEpochs(_ full: Int) -> Int { max(1, full / 10) }

  /// The pilots of every rung (cheapest first, those above the cap left out), or a one-line reason why the spec
  /// cannot be calibrated. Only the regime's reference and `most_regularized` points are trained, each at E/2 and
  /// E epochs on the pilot seeds, evaluated once at the end of each schedule on the training set and on held-out
  /// images of the training pool (`RunExecutor.pilotHeldOutSize`), never on the test split.
  ///
  /// With `probes`, every other arm of a rung (one per distinct training) also gets a trainability probe —
  /// `probeEpochs` or the full E on the first pilot seed or on every one (`CalibrationPlan.probes`) — trained
  /// before the rung's pilots.
  public static func pilots(
    spec: ExperimentSpec, catalog: Catalog, kernels: KernelSelection, probes: Bool = true
  ) throws -> (rungs: [(settings: [String: ConfigValue], images: Int, epochs: Int)], pilots: [Pilot]) {
    guard let regime = spec.claim.regime, !regime.reference.isEmpty, !regime.mostRegularized.isEmpty else {
      throw RunnerError.badParameter(
        "claim.regime", "\(spec.id): calibration needs claim.regime.reference and claim.regime.most_regularized "
          + "(the arms the pilot trains)")
    }
    let plan = spec.calibration ?? CalibrationPlan()
    var rungs: [(settings: [String: ConfigValue], images: Int, epochs: Int, plan: ExperimentPlan)] = []
    for (i, rung) in plan.ladder.enumerated() {
      let overrides = rung.keys.sorted().map { Override(key: $0, value: rung[$0]!, adds: true) }
      let rungPlan: ExperimentPlan
      do {
        rungPlan = try spec.plan(scale: "default", overrides: overrides, catalog: catalog)
      } catch {
        throw RunnerError.badParameter("calibration.ladder[\(i)]", "\(spec.id): \(error)")
      }
      guard let first = rungPlan.claimRuns.first else { continue }
      if first.config.train.steps != nil {
        throw RunnerError.badParameter(
          "train.steps", "\(spec.id): calibration halves epochs; a spec that sets train.steps cannot be calibrated")
      }
      // The dearest run of the rung (a zipped sweep may pair sizes with epochs).
      let images = rungPlan.claimRuns.map {
        ($0.config.dataset.trainSize ?? catalog.datasets[$0.config.dataset.name]?.fullTrainSize ?? 0) * $0.config.train.epochs
      }.max() ?? 0
      if let cap = plan.capImages, images > cap { continue }
      rungs.append((rung, images, first.config.train.epochs, rungPlan))
    }
    guard !rungs.isEmpty else {
      throw RunnerError.badParameter("calibration.cap_images", "\(spec.id): every rung is above the cap")
    }
    rungs.sort { $0.images < $1.images }  // stable: ties keep the ladder's order
    var pilots: [Pilot] = []
    var checksums = DatasetChecksums()
    let kernelTag = "\(kernels.blasCoreType)/\(kernels.dnnlISA)"
    for (index, rung) in rungs.enumerated() {
      // Each grid point's run (one seed stands for all: only its config is read).
      let runOf = Dictionary(rung.plan.claimRuns.map { ($0.point.index, $0) }, uniquingKeysWith: { a, _ in a })
      // An evaluation axis (`eval.*`) does not change the training: one point per training, the standard one.
      var seen: Set<ConfigValue> = []
      let arms = rung.plan.points.filter { point in
        guard point.matches(regime.reference) || point.matches(regime.mostRegularized), let run = runOf[point.index]
        else { return false }
        return seen.insert(run.config.trainingTree).inserted
      }
      guard arms.contains(where: { $0.matches(regime.reference) }),
        arms.contains(where: { $0.matches(regime.mostRegularized) && !$0.matches(regime.reference) })
      else {
        throw RunnerError.badParameter(
          "claim.regime", "\(spec.id): the reference or most_regularized selection matches no grid point")
      }
      for point in arms {
        guard let run = runOf[point.index] else { continue }
        let full = run.config.train.epochs
        // Annealed schedules: E/2 and E, each complete, evaluated at its end (condition (c)). A constant rate: E
        // alone, evaluated as the spec evaluates, for the loss-plateau condition (e) on the late evaluations.
        let constant = run.config.train.schedule == "constant"
        for epochs in (constant ? [full] : Set([max(1, full / 2), full]).sorted()) {
          for seed in plan.pilotSeeds {
            var config = run.config
            config.seed = seed
            config.train.epochs = epochs
            if !constant { config.train.evalEvery = epochs }
            let key = RunCache.key(
              configTree: config.tree, datasetChecksums: try checksums.of(config), kernels: kernelTag, pilot: true)
            pilots.append(
              Pilot(
                rung: index, point: point, isReference: point.matches(regime.reference), epochs: epochs,
                isFull: epochs == full, seed: seed, config: config, key: key))
          }
        }
      }
      guard probes else { continue }
      for point in rung.plan.points where !point.matches(regime.reference) && !point.matches(regime.mostRegularized) {
        guard let run = runOf[point.index], seen.insert(run.config.trainingTree).inserted
        else { continue }
        for seed in plan.probeSeeds {
          var config = run.config
          config.seed = seed
          config.train.epochs = plan.fullLengthProbes ? run.config.train.epochs : probeEpochs(run.config.train.epochs)
          config.train.evalEvery = config.train.epochs
          let key = RunCache.key(
            configTree: config.tree, datasetChecksums: try checksums.of(config), kernels: kernelTag, pilot: true)
          pilots.append(
            Pilot(
              rung: index, point: point, isReference: false, epochs: config.train.epochs, isFull: false, seed: seed,
              config: config, key: key, isProbe: true))
        }
      }
    }
    return (rungs.map { ($0.settings, $0.images, $0.epochs) }, pilots)
  }

  /// The calibration file from the pilots' records (by key): each rung's pilot data and its regime rows (rule v4), the
  /// cheapest rung that meets the conditions.
  public static func assemble(
    spec: ExperimentSpec, specHash: String, rungs: [(settings: [String: ConfigValue], images: Int, epochs: Int)],
    pilots: [Pilot], records: [String: RunRecord], recalibration: Bool, gitCommit: String
  ) -> CalibrationFile {
    let regime = spec.claim.regime!
    let plan = spec.calibration ?? CalibrationPlan()
    var out: [CalibrationFile.Rung] = []
    for (index, rung) in rungs.enumerated() {
      let probes = pilots.filter { $0.rung == index && $0.isProbe }.map { p in
        CalibrationFile.Probe(
          point: p.point.coordinates, label: p.point.label, epochs: p.epochs, seed: p.seed,
          status: records[p.key]?.status, divergedAtStep: records[p.key]?.divergedAtStep)
      }
      let untrainable = probes.filter { !$0.trained }
      if !untrainable.isEmpty {
        // An arm that cannot train at these settings: the rung's pilots are not paid for.
        out.append(
          CalibrationFile.Rung(
            settings: rung.settings, imagesPerRun: rung.images, epochs: rung.epochs,
            record: CalibrationRecord(metric: regime.trainMetric ?? "train_accuracy", heldOutMetric: nil, arms: []),
            rows: [], meets: false,
            why: untrainable.map { "\($0.label): trainability probe \($0.outcome) (\($0.epochs) epochs, seed \($0.seed))" },
            probes: probes))
        continue
      }
      let mine = pilots.filter { $0.rung == index && !$0.isProbe }
      let finals = mine.compactMap { p in records[p.key].map { (p, $0) } }
      let metric =
        regime.trainMetric ?? FitMetricPair.recorded(in: finals.map(\.1.final)).train
      let heldOutMetric = CalibrationRecord.heldOutName(of: metric)
      var arms: [CalibrationRecord.Arm] = []
      for point in Dictionary(grouping: mine, by: \.point.index).keys.sorted() {
        let ofPoint = finals.filter { $0.0.point.index == point }
        guard let coordinates = ofPoint.first?.0.point.coordinates ?? mine.first(where: { $0.point.index == point })?.point.coordinates
        else { continue }
        let budgets = Set(ofPoint.map(\.0.epochs)).sorted().map { epochs in
          let ok = ofPoint.filter { $0.0.epochs == epochs && $0.1.status == .ok }
          func values(_ name: String) -> [Int: Double] {
            Dictionary(ok.compactMap { p, r in r.final[name].map { (p.seed, $0) } }, uniquingKeysWith: { a, _ in a })
          }
          let heldOut = values(heldOutMetric)
          return CalibrationRecord.Budget(
            epochs: epochs, finals: values(metric), heldOut: heldOut.isEmpty ? nil : heldOut)
        }
        arms.append(CalibrationRecord.Arm(point: coordinates, budgets: budgets))
      }
      let scored = arms.contains { $0.budgets.contains { $0.heldOut != nil } }
      let record = CalibrationRecord(metric: metric, heldOutMetric: scored ? heldOutMetric : nil, arms: arms)
      // The regime on the E schedules, with the pilot as its own calibration record.
      let full = finals.filter { $0.0.isFull }.map { p, r in
        var r = r
        r.point = p.point.coordinates
        return r
      }
      let points = Dictionary(grouping: mine, by: \.point.index).values.compactMap(\.first?.point)
        .sorted { $0.index < $1.index }
      let report = regime.evaluate(points: points, runs: full, calibration: record)
      var why: [String] = []
      let missing = mine.filter { records[$0.key] == nil }.count
      if missing > 0 { why.append("\(missing) pilot runs did not finish") }
      for row in report.rows {
        if (row.untrained ?? 0) > 0 { why.append("\(row.label): \(row.untrained!) pilot runs diverged or stalled") }
        if row.isReference, row.fits == false {
          why.append("\(row.label): does not fit its training set (\(row.fitNote ?? "train error above the bound"))")
        }
        if row.schedule == "constant" {
          if row.lossSettled != true {
            why.append("\(row.label): training loss still falls late in training (or too few evaluations to tell)")
          }
        } else if row.budgetRobust != true {
          let basis = row.budgetMetric ?? metric
          why.append("\(row.label): \(row.budgetNote ?? "final \(basis) moves by more than the margin from E/2 to E")")
        }
      }
      out.append(
        CalibrationFile.Rung(
          settings: rung.settings, imagesPerRun: rung.images, epochs: rung.epochs, record: record, rows: report.rows,
          meets: why.isEmpty, why: why, probes: probes.isEmpty ? nil : probes))
    }
    return CalibrationFile(
      experimentID: spec.id, specHash: specHash, pilotSeeds: plan.pilotSeeds, rungs: out,
      chosen: out.firstIndex(where: \.meets), recalibration: recalibration, gitCommit: gitCommit)
  }

  /// Trains the pilots not yet in `cache` (cheapest rung first, so a ladder cut short has its cheap rungs) and
  /// returns every pilot's record that exists.
  public static func train(
    _ pilots: [Pilot], cache: RunCache, jobs: Int, executable: URL,
    onMessage: @escaping @Sendable (String) -> Void = { _ in }
  ) throws -> [String: RunRecord] {
    try cache.open()
    var records: [String: RunRecord] = [:]
    var todo: [WorkerJob] = []
    for p in pilots {
      if let r = cache.loadForRun(p.key) {
        records[p.key] = r
      } else if !todo.contains(where: { $0.key == p.key }) {
        todo.append(
          WorkerJob(
            key: p.key, config: p.config, configTree: p.config.tree, point: p.point.coordinates,
            cacheDirectory: cache.directory.path, pilot: true))
      }
    }
    let labels = Dictionary(
      pilots.map { ($0.key, "\($0.point.label) \($0.epochs) epochs seed \($0.seed)") }, uniquingKeysWith: { a, _ in a })
    if !todo.isEmpty {
      _ = try WorkerPool.train(todo, executable: executable, processes: jobs) { message in
        switch message.kind {
        case .done, .cached: onMessage("pilot \(labels[message.key] ?? message.key): done")
        case .failed: onMessage("pilot \(labels[message.key] ?? message.key): failed: \(message.error ?? "?")")
        case .progress, .busy: break
        }
      }
    }
    for p in pilots where records[p.key] == nil { if let r = cache.load(p.key) { records[p.key] = r } }
    return records
  }
}

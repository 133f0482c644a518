import ArgumentParser
import Experiments
import Foundation
import NumberFormat
import Runner
import Tensor

struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Choose a spec's proxy budget from pilot runs that cannot see the verdict.",
    discussion: """
      Trains only the regime's reference and most_regularized arms, each at E/2 and E epochs (two complete \
      schedules), on pilot seeds disjoint from the verdict's (`calibration.pilot_seeds`, default 1000–1004), for \
      every rung of `calibration.ladder` (default: the spec as written), cheapest first under `cap_images`. No pilot \
      evaluates the test split: pilots are scored on images of the training pool their subset leaves out. The \
      cheapest rung meeting the regime rule's pilot conditions (the reference fits its training set, both arms' \
      final held-out score is budget-robust or, under a constant rate, their training loss settled; every pilot \
      trains) is chosen; before a rung's pilots, every other arm \
      gets a trainability probe (E/10 epochs on the first pilot seed; `calibration.probes: {length: full, seeds: \
      all}` for E on every pilot seed), and a rung where one diverges or stalls is \
      not paid for. Writes \
      Experiments/calibration/<id>.json — commit it before the verdict runs, re-base the spec on the chosen rung, \
      then `dropbench run <id>`. One recalibration with fresh pilot seeds is allowed (--recalibrate); a record may \
      be re-scored by the current rule on its own pilots (--rescore: same seeds and rungs, nothing seen that the \
      pilots did not see); a record where no rung met the conditions may be extended by new ladder rungs on its \
      pilot seeds (--extend).
      """)
  @Argument(help: "Experiment ids or spec paths.") var experiments: [String]
  @Option(name: [.short, .long], help: "Parallel worker processes (default: number of cores).") var jobs: Int?
  @Flag(help: "Print the pilots and the rungs; train nothing.") var dryRun = false
  @Flag(help: "Calibrate again with fresh pilot seeds (--pilot-seeds), once; logged in the record and on the page.")
  var recalibrate = false
  @Option(help: "Pilot seeds of a recalibration, comma-separated (disjoint from the verdict's and the first pilot's).")
  var pilotSeeds: String?
  @Flag(
    help: ArgumentHelp(
      "Re-score a record by the current regime rule: the same pilot seeds and rungs, so the same trainings (a "
        + "rule-v2 record's pilots are also scored on held-out images); logged in the record."))
  var rescore = false
  @Flag(
    help: ArgumentHelp(
      "Extend a rule-v3 record where no rung met the conditions: the ladder's rungs not in the record, on the "
        + "record's pilot seeds; the record's rungs are kept as they are; logged in the record."))
  var extend = false
  @OptionGroup var paths: Paths

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if pilotSeeds != nil && !recalibrate { throw ValidationError("--pilot-seeds goes with --recalibrate") }
    if recalibrate && pilotSeeds == nil { throw ValidationError("--recalibrate needs fresh --pilot-seeds, e.g. 2000,2001,2002,2003,2004") }
    if rescore && recalibrate { throw ValidationError("--rescore keeps the record's pilot seeds; it does not go with --recalibrate") }
    if extend && (rescore || recalibrate) { throw ValidationError("--extend goes alone: it keeps the record's pilot seeds and rungs") }
  }

  func run() throws {
    try guarded {
      let kernels = try configureKernels()
      for name in experiments {
        let path = try SpecFiles.resolve(name, in: paths.experiments)
        var (spec, hash) = try SpecFiles.load(path)
        let existing = try CalibrationFile.load(experiments: paths.experiments, id: spec.id)
        if recalibrate {
          guard let existing else {
            throw UserFacingError(message: "\(spec.id): nothing to recalibrate (no \(CalibrationFile.url(experiments: paths.experiments, id: spec.id).path))", code: 2)
          }
          if existing.recalibration {
            throw UserFacingError(message: "\(spec.id): already recalibrated once; a third calibration is not allowed", code: 2)
          }
          let seeds = (pilotSeeds ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
          let clash = Set(seeds).intersection(existing.pilotSeeds + spec.seeds)
          if seeds.count < 2 || !clash.isEmpty {
            throw UserFacingError(
              message: "--pilot-seeds: need two or more seeds disjoint from the verdict's and the first pilot's"
                + (clash.isEmpty ? "" : " (\(clash.sorted().map(String.init).joined(separator: ", ")) are taken)"), code: 2)
          }
          var plan = spec.calibration ?? CalibrationPlan()
          plan.pilotSeeds = seeds
          spec.calibration = plan
        } else if rescore {
          guard let existing else {
            throw UserFacingError(message: "\(spec.id): nothing to re-score (no \(CalibrationFile.url(experiments: paths.experiments, id: spec.id).path))", code: 2)
          }
          try Self.checkRescore(existing, spec: spec)
          var plan = spec.calibration ?? CalibrationPlan()
          plan.pilotSeeds = existing.pilotSeeds
          spec.calibration = plan
        } else if extend {
          guard let existing else {
            throw UserFacingError(message: "\(spec.id): nothing to extend (no \(CalibrationFile.url(experiments: paths.experiments, id: spec.id).path))", code: 2)
          }
          var plan = try Self.extensionPlan(existing, spec: spec)
          plan.pilotSeeds = existing.pilotSeeds
          spec.calibration = plan
        } else if existing != nil, !dryRun {
          throw UserFacingError(
            message: "\(spec.id): already calibrated (\(CalibrationFile.url(experiments: paths.experiments, id: spec.id).path)); "
              + "a new calibration would let the pilot be re-drawn — use --recalibrate with fresh --pilot-seeds, once", code: 2)
        }
        // A re-score trains exactly the record's pilots: no trainability probes.
        let (rungs, pilots) = try Calibrator.pilots(
          spec: spec, catalog: CatalogBuilder.catalog, kernels: kernels.selection, probes: !rescore)
        let seconds = pilots.reduce(0.0) { $0 + RunCost.seconds($1.config, catalog: CatalogBuilder.catalog) }
        let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        print("\(spec.id): \(rungs.count) rung\(rungs.count == 1 ? "" : "s"), \(pilots.count) pilot runs on seeds "
          + "\((spec.calibration ?? CalibrationPlan()).pilotSeeds.map(String.init).joined(separator: ", ")); "
          + "estimated \(Fmt.clock(seconds / Double(workers))) with \(workers) jobs")
        for (i, r) in rungs.enumerated() {
          let settings = r.settings.isEmpty ? "as written" : r.settings.keys.sorted().map { "\($0)=\(r.settings[$0]!)" }.joined(separator: ", ")
          print("  rung \(i + 1): \(settings) — E = \(r.epochs) epochs, \(r.images) images per verdict run")
        }
        if dryRun { continue }
        // Rung by rung, cheapest first, stopping at the first that meets the conditions: a dearer rung is only
        // paid for when the cheaper ones are shown not to do, and a rung's pilots only when its trainability
        // probes all trained.
        var records: [String: RunRecord] = [:]
        var file: CalibrationFile!
        let cache = RunCache(directory: URL(fileURLWithPath: paths.cache))
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        func train(_ some: [Calibrator.Pilot]) throws {
          records.merge(
            try Calibrator.train(
              some, cache: cache, jobs: workers, executable: executable,
              onMessage: { FileHandle.standardError.write(Data("  \($0)\n".utf8)) })
          ) { a, _ in a }
        }
        for rung in rungs.indices {
          let probes = pilots.filter { $0.rung == rung && $0.isProbe }
          try train(probes)
          if probes.allSatisfy({ records[$0.key]?.status == .ok }) {
            try train(pilots.filter { $0.rung == rung && !$0.isProbe })
          }
          file = Calibrator.assemble(
            spec: spec, specHash: hash, rungs: Array(rungs[...rung]), pilots: pilots.filter { $0.rung <= rung },
            records: records, recalibration: recalibrate || (rescore && existing?.recalibration == true),
            gitCommit: ProvenanceCollector.gitCommit())
          if rescore { file.rescoredFrom = existing?.gitCommit }
          if file.chosen != nil { break }
        }
        if extend, let existing {
          // The record's rungs first, as tried; the new ones after them.
          file.rungs = existing.rungs + file.rungs
          file.chosen = file.chosen.map { $0 + existing.rungs.count }
          (file.recalibration, file.rescoredFrom) = (existing.recalibration, existing.rescoredFrom)
          file.extendedFrom = existing.gitCommit
        }
        let url = CalibrationFile.url(experiments: paths.experiments, id: spec.id)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(JSON.encode(file), to: url)
        for (i, rung) in file.rungs.enumerated() {
          print("  rung \(i + 1): \(rung.meets ? "meets the pilot conditions" : "does not meet them: " + rung.why.joined(separator: "; "))")
        }
        if let chosen = file.chosen {
          print("\(spec.id): rung \(chosen + 1) chosen; wrote \(url.path) — commit it, re-base the spec on it, then run")
        } else {
          print("\(spec.id): no rung meets the conditions; wrote \(url.path) (the spec stays uncalibrated)")
        }
      }
    }
  }

  /// The ladder of an extension: the spec's rungs that the record has not tried. Only a record where no rung met
  /// the conditions can be extended, and the ladder must keep every recorded rung. (The new rungs are scored by the
  /// current rule; the recorded ones stay as they were judged — a rung chosen later is always a new one. A
  /// constant-rate spec, or a pool that leaves no held-out images, has no held-out score at any rung.)
  static func extensionPlan(_ existing: CalibrationFile, spec: ExperimentSpec) throws -> CalibrationPlan {
    if existing.chosen != nil {
      throw UserFacingError(message: "\(spec.id): the calibration record already chose a rung; nothing to extend", code: 2)
    }
    var plan = spec.calibration ?? CalibrationPlan()
    if !existing.triedOnlyRungsOf(plan.ladder) {
      throw UserFacingError(
        message: "\(spec.id): calibration.ladder no longer holds every rung of the record; an extension adds rungs, "
          + "it does not replace them", code: 2)
    }
    let recorded = existing.rungs.map(\.settings)
    plan.ladder = plan.ladder.filter { !recorded.contains($0) }
    if plan.ladder.isEmpty {
      throw UserFacingError(
        message: "\(spec.id): calibration.ladder has no rung the record has not tried; add one to extend", code: 2)
    }
    return plan
  }

  /// A re-score trains exactly what the record's pilots trained — the spec's ladder holds the same rungs — and
  /// judges them by the current rule. It may be repeated: pilots never compute a test metric, so a re-score sees
  /// nothing of the verdict, and the rule it applies is the gate's, the same for every spec.
  static func checkRescore(_ existing: CalibrationFile, spec: ExperimentSpec) throws {
    if !existing.triedOnlyRungsOf((spec.calibration ?? CalibrationPlan()).ladder) {
      throw UserFacingError(
        message: "\(spec.id): calibration.ladder no longer holds every rung of the record; a re-score must train "
          + "the same pilots (restore the ladder, or --recalibrate with fresh --pilot-seeds)", code: 2)
    }
  }
}

import ArgumentParser
import Experiments
import Foundation
import Hashing
import NumberFormat
import Regularizers
import Report
import Runner
import Tensor

/// Options shared by `run` and `replicate`.
struct RunFlags: ParsableArguments {
  @Option(help: "Scale of every spec: smoke, default or full.") var scale = "default"
  @Option(name: .customLong("set"), help: "Override a spec key, Hydra-style: --set train.epochs=3 (repeatable).")
  var overrides: [String] = []
  @Option(name: [.short, .long], help: "Parallel worker processes (default: number of cores).") var jobs: Int?
  @Option(help: "Run only shard i of n (i/n, 0-based), runs dealt by estimated cost. For Slurm job arrays.")
  var shard: String?
  @Flag(help: "Print the runs and an estimated time; train nothing.") var dryRun = false
  @Option(help: "OpenBLAS core type (default: SkylakeX with AVX-512, else Haswell). Changes result bits.")
  var blasCore: String?
  @Flag(help: "No live progress bar, even on a terminal.") var plain = false
  @Flag(
    help: """
      Write the results and pages of a non-default scale or of --set overrides into Reports/ (published), replacing \
      the committed ones. Without it they go to .dropbench/reports/<scale>[+set-<hash>]/.
      """)
  var publish = false
  @Flag(help: "Train every run again from scratch: read neither the run cache nor the committed records.")
  var retrain = false

  /// OpenBLAS's x86-64 core types (`OPENBLAS_CORETYPE` of a DYNAMIC_ARCH build). Checked while parsing, so a typo is
  /// a usage error listing these instead of a kernel-mismatch error after OpenBLAS has loaded.
  static let blasCores = [
    "Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Atom",
    "Barcelona", "Bulldozer", "Piledriver", "Steamroller", "Excavator", "Zen",
  ]

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if let shard, parsedShard == nil {
      throw ValidationError("--shard takes i/n with 0 <= i < n, e.g. --shard 0/8; got '\(shard)'")
    }
    if let blasCore, !Self.blasCores.contains(where: { $0.lowercased() == blasCore.lowercased() }) {
      throw ValidationError(
        "unknown OpenBLAS core type '\(blasCore)' for --blas-core; choices: \(Self.blasCores.joined(separator: ", "))")
    }
  }

  var parsedShard: (index: Int, count: Int)? {
    guard let shard else { return nil }
    let parts = shard.split(separator: "/").compactMap { Int($0) }
    guard parts.count == 2, parts[1] > 0, parts[0] >= 0, parts[0] < parts[1] else { return nil }
    return (parts[0], parts[1])
  }

  var jobCount: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

  func configureKernels() throws -> KernelInfo { try dropbench.configureKernels(blasCore: blasCore) }
}

/// Chooses the kernels (automatic, or `blasCore` for OpenBLAS) and exports the choice so worker processes make the
/// same one.
func configureKernels(blasCore: String? = nil) throws -> KernelInfo {
  var selection = KernelSelection.automatic()
  if let blasCore { selection.blasCoreType = blasCore }
  setenv("DROPBENCH_BLAS_CORETYPE", selection.blasCoreType, 1)
  setenv("DROPBENCH_DNNL_ISA", selection.dnnlISA, 1)
  return try BLAS.configure(selection)
}

/// Where a run's results and pages go. The spec as committed at its default scale is the published result
/// (`Reports/`); any other scale or `--set` override writes to its own tree under `.dropbench/reports/` (git-ignored)
/// so a smoke run or a quick experiment never replaces what is committed. `--publish` or an explicit `--reports`
/// says otherwise.
enum Destination {
  static let scratchRoot = ".dropbench/reports"

  static func reports(for flags: RunFlags, overrides: [String], paths: Paths) -> Paths {
    guard paths.reportsOption == nil, !flags.publish, flags.scale != "default" || !overrides.isEmpty else { return paths }
    var output = paths
    output.reportsOption = scratchRoot + "/" + slug(scale: flags.scale, overrides: overrides)
    return output
  }

  /// `smoke`, or `default+set-1a2b3c4d` (the hash of the overrides as written, in order).
  static func slug(scale: String, overrides: [String]) -> String {
    guard !overrides.isEmpty else { return scale }
    return scale + "+set-" + String(SHA256.hex(overrides.joined(separator: "\n")).prefix(8))
  }
}

enum RunAndReport {
  /// Plans, runs and reports the given specs. Returns the process exit code.
  static func run(specPaths: [String], flags: RunFlags, paths: Paths, strict: Bool = false) throws -> Int32 {
    let overrides = try flags.overrides.map { try Override.parse($0) }
    let catalog = CatalogBuilder.catalog
    // Validate everything before training anything: a typo in the last spec must not surface after an hour.
    let plans = try specPaths.map { path -> (ExperimentPlan, String) in
      let (spec, hash) = try SpecFiles.load(path)
      return (try spec.plan(scale: flags.scale, overrides: overrides, catalog: catalog), hash)
    }
    if flags.dryRun {
      let cache = RunCache(directory: URL(fileURLWithPath: paths.cache))
      let committed = flags.retrain ? CommittedRecords.none : CommittedRecords.load(from: paths.resultsURL)
      var trainings: Set<String> = []
      var total = 0.0
      for (plan, _) in plans {
        total += DryRun.print(
          plan, cache: cache, committed: committed, retrain: flags.retrain, jobs: flags.jobCount, trainings: &trainings)
      }
      if plans.count > 1 {
        Swift.print(
          "all \(plans.count) specs: estimated \(Fmt.clock(total / Double(flags.jobCount))) with "
            + "\(flags.jobCount) jobs (a run two specs share trains once, in the first)")
      }
      return 0
    }
    // A regularizer that does not do what it declares (drop fraction, scaling, structure, evaluation rule) would
    // make every number it produces meaningless: refuse before training.
    for (plan, _) in plans {
      if let failure = try Conformance.check(plan).compactMap(\.failureLine).first {
        throw UserFacingError(message: "\(plan.spec.id): \(failure)", code: 2)
      }
    }
    let output = Destination.reports(for: flags, overrides: flags.overrides, paths: paths)
    try OutputPaths.check(output, experimentIDs: plans.map(\.0.spec.id))
    try ReportGeneration.refuseNewerRule(in: output.resultsURL)
    let kernels = try flags.configureKernels()
    let committed = strict ? loadCommittedVerdicts(paths) : [:]
    let progress = ProgressDisplay(interactive: !flags.plain && isatty(STDERR_FILENO) != 0)
    // The published records are a read-only tier of the cache (whatever this run's destination).
    let records = flags.retrain ? CommittedRecords.none : CommittedRecords.load(from: paths.resultsURL)
    for line in records.skipped { FileHandle.standardError.write(Data("warning: skipped \(line)\n".utf8)) }
    let options = RunOptions(
      jobs: flags.jobCount, shard: flags.parsedShard, cache: RunCache(directory: URL(fileURLWithPath: paths.cache)),
      resultsDirectory: output.resultsURL, committed: records, retrain: flags.retrain)
    if output.reports != paths.reports {
      FileHandle.standardError.write(
        Data("note: \(flags.scale) scale\(flags.overrides.isEmpty ? "" : " with --set") writes to \(output.reports)/ (Reports/ untouched; --publish writes there)\n".utf8))
    }
    var failed: [String] = []
    var changed: [String] = []
    var wroteResults = false
    var finished: [ExperimentResults] = []
    for (plan, hash) in plans {
      // A committed calibration: the regime gate reads its chosen rung for budget robustness; the page shows it.
      let calibration = try CalibrationFile.load(experiments: paths.experiments, id: plan.spec.id)
      let outcome = try ExperimentRunner.run(
        plan, specHash: hash, options: options, kernels: kernels, progress: progress, calibration: calibration)
      failed += outcome.failed
      wroteResults = wroteResults || outcome.results != nil
      if let results = outcome.results { finished.append(results) }
      if let verdict = outcome.results?.verdict.verdict.rawValue, let old = committed[outcome.id], old != verdict {
        changed.append("\(outcome.id): \(old) → \(verdict)")
      }
    }
    // Ctrl-C while the pages are written waits for the last one, so Reports/ is never half old, half new. With no
    // new results (failed runs, a shard) the pages would not change, and there may be no results directory yet.
    if wroteResults { try Interrupts.critical { try ReportGeneration.writeAll(paths: output) } }
    // One line per finished experiment: the verdict, its reason and where the page is.
    for results in finished {
      let page = "\(output.reports)/\(results.experimentID).md"
      let verdict = results.reevaluated().verdict
      let reason = verdict.explanation.range(of: ". ").map { String(verdict.explanation[..<$0.lowerBound]) + "." }
        ?? verdict.explanation
      let short = reason.count > 160 ? String(reason.prefix(159)) + "…" : reason
      Swift.print("\(results.experimentID): \(verdict.verdict.rawValue) — \(short) See \(page)")
    }
    for f in failed { FileHandle.standardError.write(Data("failed: \(f)\n".utf8)) }
    for c in changed { FileHandle.standardError.write(Data("verdict changed: \(c)\n".utf8)) }
    if !failed.isEmpty { return 1 }
    if strict && !changed.isEmpty { return 3 }
    return 0
  }

  static func loadCommittedVerdicts(_ paths: Paths) -> [String: String] {
    guard let results = try? GitResults.load(revision: "HEAD", repo: URL(fileURLWithPath: ".")) else { return [:] }
    return Dictionary(results.map { ($0.experimentID, $0.verdict.verdict.rawValue) }, uniquingKeysWith: { a, _ in a })
  }
}

/// `--dry-run`: the runs a command would train, which are cached, and an estimated wall time.
enum DryRun {
  /// This machine's speed against RunCost's nominal rates, per model: the finished runs' wall time (training and
  /// evaluation) over their nominal estimate. Runs estimated under 2 s are skipped: start-up dominates them.
  static func measuredFactors(cache: RunCache, catalog: Catalog) -> [String: Double] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: cache.directory.path)) ?? []
    var totals: [String: (wall: Double, nominal: Double)] = [:]
    for file in files where file.hasSuffix(".json") && !file.hasPrefix(".") {
      guard let record = cache.load(String(file.dropLast(5))), record.status == .ok, record.wallSeconds > 0,
        let config = try? RunConfig(tree: record.config)
      else { continue }
      let nominal = RunCost.seconds(config, catalog: catalog)
      guard nominal >= 2 else { continue }
      let t = totals[config.model.name] ?? (0, 0)
      totals[config.model.name] = (t.wall + record.wallSeconds, t.nominal + nominal)
    }
    return totals.compactMapValues { $0.nominal > 0 ? $0.wall / $0.nominal : nil }
  }

  /// Prints the plan's runs and estimate and returns the estimated seconds to train it (one thread). A training
  /// already in `trainings` (an earlier spec of the same command trains it) counts as shared.
  @discardableResult
  static func print(
    _ plan: ExperimentPlan, cache: RunCache, committed: CommittedRecords = .none, retrain: Bool = false, jobs: Int,
    trainings: inout Set<String>
  ) -> Double {
    let catalog = CatalogBuilder.catalog
    // RunCost's nominal estimate (the one shards balance by), corrected by this machine's cached runs of a model.
    let factors = measuredFactors(cache: cache, catalog: catalog)
    let keyed = try? ExperimentRunner.keyedRuns(plan, kernels: KernelSelection.automatic())
    var seconds = 0.0
    var cached = 0
    var lines: [String] = []
    var mine: Set<String> = []
    for (i, run) in plan.runs.enumerated() {
      let fromCommitted = !retrain && (keyed.map { committed.record($0[i].key) != nil } ?? false)
      let isCached = !retrain && ((keyed.map { cache.load($0[i].key) != nil } ?? false) || fromCommitted)
      let scale = factors[run.config.model.name] ?? 1
      // Runs that differ only in `eval.*` share one training: the first is counted, the others are evaluations;
      // a training an earlier spec of the same command has is counted there.
      let key = keyed?[i].trainingKey
      let sharesTraining = key.map { !trainings.insert($0).inserted } ?? false
      let earlier = sharesTraining && !(key.map { mine.contains($0) } ?? false)
      if let key { mine.insert(key) }
      let estimate = sharesTraining ? 0 : RunCost.seconds(run.config, catalog: catalog) * scale
      if isCached { cached += 1 } else { seconds += estimate }
      let what =
        isCached ? (fromCommitted ? "committed record" : "cached") : earlier ? "trained by an earlier spec"
        : sharesTraining ? "evaluation of a shared training" : "~\(Fmt.clock(estimate))"
      lines.append("  \(run.point.label) seed \(run.seed): \(run.config.model.name) on \(run.config.dataset.name), \(what)")
    }
    let variants = plan.runs.count - plan.claimRuns.count
    Swift.print(
      "\(plan.spec.id) [\(plan.scale)]: \(plan.points.count) grid points × \(plan.spec.seeds.count) seeds"
        + (variants > 0 ? " + \(variants) robustness runs" : "") + " = "
        + "\(plan.runs.count) runs, \(cached) cached; estimated \(Fmt.clock(seconds / Double(jobs))) "
        + "with \(jobs) jobs")
    lines.forEach { Swift.print($0) }
    return seconds
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run experiments (by id or spec path): train what is not cached, write results and reports.",
    discussion: """
      Finished runs are cached in .dropbench/cache/ (one file per run, written atomically): re-running trains \
      nothing, and after Ctrl-C or a kill only unfinished runs are redone. The same spec, scale and seed give \
      bit-identical results whatever --jobs is.
      """)
  @Argument(help: "Experiment ids or spec paths.") var experiments: [String]
  @OptionGroup var flags: RunFlags
  @OptionGroup var paths: Paths

  func run() throws {
    var code: Int32 = 0
    try guarded {
      let specs = try experiments.map { try SpecFiles.resolve($0, in: paths.experiments) }
      code = try RunAndReport.run(specPaths: specs, flags: flags, paths: paths)
    }
    if code != 0 { throw ExitCode(code) }
  }
}

struct Replicate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every spec in Experiments/ and regenerate Reports/.",
    discussion: """
      With --strict, exits 3 when a verdict differs from the one committed at HEAD. With --headline, only the \
      specs marked `headline: true` (the headline claims, kept within 90 minutes on 2 cores at default scale). \
      Order: the headline specs, then the other claims, then the comparisons of methods (specs with a `tune` \
      budget), alphabetical within each.
      """)
  @OptionGroup var flags: RunFlags
  @OptionGroup var paths: Paths
  @Flag(help: "Exit 3 if any verdict differs from the committed results.") var strict = false
  @Flag(help: "Only the headline specs (`headline: true`).") var headline = false

  /// The order specs run in: the headline claims first (a replication cut short still has them), then the other
  /// claims, then the comparisons of methods (specs with a `tune` budget), which are built mostly from the other
  /// specs' arms and so find them cached; alphabetical within each group. Every run trains once whatever the order;
  /// the order decides which spec's time a shared run counts in, and what is done when a replication stops early.
  static func order(_ specs: [(path: String, spec: ExperimentSpec)]) -> [String] {
    func group(_ s: ExperimentSpec) -> Int { s.headline ? 0 : s.tune == nil ? 1 : 2 }
    return specs.enumerated().sorted { (group($0.element.spec), $0.offset) < (group($1.element.spec), $1.offset) }
      .map(\.element.path)
  }

  func run() throws {
    var code: Int32 = 0
    try guarded {
      var specs = try SpecFiles.all(in: paths.experiments).map { ($0, try SpecFiles.load($0).0) }
      if headline { specs = specs.filter { $0.1.headline } }
      code = try RunAndReport.run(specPaths: Self.order(specs), flags: flags, paths: paths, strict: strict)
    }
    if code != 0 { throw ExitCode(code) }
  }
}

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Re-train a sample of the stored runs from scratch and check they are bit-identical to Reports/results.",
    discussion: """
      An audit of determinism: for each experiment, --sample runs spread over its grid are trained again by fresh \
      worker processes into a scratch cache (the real cache is neither read nor written) at the scale of the \
      stored results, and compared with Reports/results/<id>.json — status, every epoch's training loss and \
      metrics, final metrics. Exit 0 when every sampled run is identical, 3 when one differs, 1 when one failed, \
      2 on errors.
      """)
  @Argument(help: "Experiment ids or spec paths (default: every spec with stored results).") var experiments: [String] =
    []
  @Option(help: "Runs to re-train per experiment, spread over the grid (first and last included).") var sample = 2
  @Option(name: [.short, .long], help: "Parallel worker processes (default: number of cores).") var jobs: Int?
  @OptionGroup var paths: Paths

  func validate() throws {
    if sample < 1 { throw ValidationError("--sample must be at least 1, got \(sample)") }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
  }

  func run() throws {
    var code: Int32 = 0
    try guarded {
      let specPaths =
        experiments.isEmpty
        ? try SpecFiles.all(in: paths.experiments).filter {
          FileManager.default.fileExists(
            atPath: resultsFile(URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent).path)
        }
        : try experiments.map { try SpecFiles.resolve($0, in: paths.experiments) }
      var work: [(ExperimentPlan, ExperimentResults)] = []
      for path in specPaths {
        let (spec, _) = try SpecFiles.load(path)
        let file = resultsFile(spec.id)
        guard let data = FileManager.default.contents(atPath: file.path) else {
          throw UserFacingError(message: "\(spec.id): no stored results at \(file.path) (run it first)", code: 2)
        }
        let stored = try ResultsStore.decode(data, file: file.path)
        work.append((try spec.plan(scale: stored.scale, overrides: [], catalog: CatalogBuilder.catalog), stored))
      }
      guard !work.isEmpty else { throw UserFacingError(message: "no stored results to verify", code: 2) }
      let kernels = try configureKernels()
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
        "dropbench-verify-\(UUID().uuidString)")
      let cleanup = Interrupts.onInterrupt { try? FileManager.default.removeItem(at: scratch) }
      defer {
        cleanup.cancel()
        try? FileManager.default.removeItem(at: scratch)
      }
      var differing = 0
      var failed = 0
      for (plan, stored) in work {
        let report = try Verification.verify(
          plan, stored: stored, sample: sample, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
          scratch: scratch.appendingPathComponent(plan.spec.id), kernels: kernels,
          onFinish: { label, error in
            let what = error.map { "failed: \($0)" } ?? "re-trained"
            FileHandle.standardError.write(Data("  \(plan.spec.id): \(label) \(what)\n".utf8))
          }
        )
        print("\(plan.spec.id): \(report.identical)/\(report.checks.count) sampled runs bit-identical")
        for c in report.caveats { print("  note: \(c)") }
        for c in report.differing { print("  differs: \(c.label): \(c.difference!)") }
        for c in report.failed { print("  failed: \(c.label): \(c.error!)") }
        differing += report.differing.count
        failed += report.failed.count
      }
      code = failed > 0 ? 1 : differing > 0 ? 3 : 0
    }
    if code != 0 { throw ExitCode(code) }
  }

  func resultsFile(_ id: String) -> URL { paths.resultsURL.appendingPathComponent("\(id).json") }
}

struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Internal: train runs sent as JSON lines on stdin (started by run/replicate).", shouldDisplay: false)

  func run() throws {
    _ = try BLAS.configure(KernelSelection.automatic())
    WorkerLoop.run()
  }
}

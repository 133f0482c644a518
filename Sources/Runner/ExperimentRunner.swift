import Datasets
import Experiments
import Foundation
import Tensor

/// Options of `dropbench run` / `replicate`.
public struct RunOptions: Sendable {
  public var jobs: Int
  /// Run only this shard's runs (for Slurm job arrays over a shared cache): runs are dealt to shards longest
  /// estimated first, each to the least-loaded shard (`ShardPlan`), so no task gets all the slow runs.
  public var shard: (index: Int, count: Int)?
  public var cache: RunCache
  public var resultsDirectory: URL
  public var executable: URL
  /// The committed records (`Reports/results`), consulted after the cache: a matching key is reused, not trained.
  public var committed: CommittedRecords
  /// Train every run again: neither the cache nor the committed records are read (the cache's entries for these
  /// runs are replaced by the new ones).
  public var retrain: Bool

  public init(
    jobs: Int, shard: (index: Int, count: Int)? = nil, cache: RunCache = RunCache(directory: RunCache.defaultDirectory),
    resultsDirectory: URL = URL(fileURLWithPath: "Reports/results"),
    executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
    committed: CommittedRecords = .none, retrain: Bool = false
  ) {
    self.jobs = jobs
    self.shard = shard
    self.cache = cache
    self.resultsDirectory = resultsDirectory
    self.executable = executable
    self.committed = committed
    self.retrain = retrain
  }
}

/// What happened to one experiment.
public struct ExperimentOutcome: Sendable {
  public var id: String
  public var total: Int
  public var cached: Int
  /// Of `cached`, the runs taken from the committed records (`Reports/results`).
  public var fromCommitted: Int = 0
  public var trained: Int
  public var failed: [String]
  /// Runs left untrained: other shards' runs, or runs no worker could take.
  public var notAttempted: Int
  /// The results written to `Reports/results/<id>.json`; nil when a shard left runs for other shards.
  public var results: ExperimentResults?
}

/// A planned run with its cache key and the checksums of the dataset files it reads (named `<dataset>/<file>`).
public struct KeyedRun: Sendable {
  public var run: PlannedRun
  public var key: String
  /// The key of the training alone (`eval` left out): runs sharing it train once.
  public var trainingKey: String
  public var datasetChecksums: [String: String]
}

public enum ExperimentRunner {
  /// Cache keys for every planned run (dataset checksums are hashed once per dataset config).
  public static func keyedRuns(_ plan: ExperimentPlan, kernels: KernelSelection) throws -> [KeyedRun] {
    var checksums = DatasetChecksums()
    let kernelTag = "\(kernels.blasCoreType)/\(kernels.dnnlISA)"
    return try plan.runs.map { run in
      let sums = try checksums.of(run.config)
      return KeyedRun(
        run: run, key: RunCache.key(configTree: run.configTree, datasetChecksums: sums, kernels: kernelTag),
        trainingKey: RunCache.key(configTree: run.config.trainingTree, datasetChecksums: sums, kernels: kernelTag),
        datasetChecksums: Dictionary(
          uniqueKeysWithValues: sums.map { ("\(run.config.dataset.name)/\($0.key)", $0.value) }))
    }
  }

  /// Runs what is not cached, then assembles and writes the results (when every run is available).
  /// `calibration`: the spec's calibration file; the regime gate reads its chosen rung for budget robustness, and
  /// the results keep it for the page.
  public static func run(
    _ plan: ExperimentPlan, specHash: String, options: RunOptions, kernels: KernelInfo, progress: ProgressDisplay,
    calibration: CalibrationFile? = nil
  ) throws -> ExperimentOutcome {
    let start = Date()
    let keyed = try keyedRuns(plan, kernels: kernels.selection)
    try options.cache.open()
    var records: [String: RunRecord] = [:]
    var todo: [WorkerJob] = []
    var otherShards = 0
    // Cost-balanced shards: every task computes the same split from the whole plan (cached runs included) with
    // estimates that read no cache, so the tasks of an array agree without talking to each other.
    let mine = options.shard.map { shard in
      ShardPlan.keys(
        of: shard.index, count: shard.count,
        runs: keyed.map {
          (key: $0.trainingKey, seconds: RunCost.seconds($0.run.config, catalog: CatalogBuilder.catalog))
        })
    }
    // Runs differing only in `eval` are one training: the first uncached one is the job, the others its siblings.
    var jobIndex: [String: Int] = [:]
    var committedKeys: Set<String> = []
    if options.retrain {
      // From scratch: the cached records of these runs go (the worker would otherwise find them and not train).
      for k in keyed { try? FileManager.default.removeItem(at: options.cache.url(for: k.key)) }
    }
    for k in keyed {
      // This spec's own committed record first (its results then reassemble byte for byte), then the cache, then
      // another spec's committed record of the same run (the copies of a shared run differ only in wall time).
      if !options.retrain, let record = options.committed.byExperiment[plan.spec.id]?[k.key] {
        records[k.key] = record
        committedKeys.insert(k.key)
      } else if !options.retrain, let record = options.cache.loadForRun(k.key) {
        records[k.key] = record
      } else if !options.retrain, let record = options.committed.record(k.key) {
        records[k.key] = record
        committedKeys.insert(k.key)
      } else if let index = jobIndex[k.trainingKey] {
        if todo[index].keys.contains(k.key) { continue }  // two grid points with one config are one run
        todo[index].siblings = (todo[index].siblings ?? []) + [
          RunExecutor.Sibling(
            key: k.key, config: k.run.config, configTree: k.run.configTree, point: k.run.point.coordinates)
        ]
      } else if mine?.contains(k.trainingKey) ?? true {
        jobIndex[k.trainingKey] = todo.count
        todo.append(
          WorkerJob(
            key: k.key, config: k.run.config, configTree: k.run.configTree, point: k.run.point.coordinates,
            cacheDirectory: options.cache.directory.path))
      } else {
        otherShards += 1
      }
    }
    let queued = todo.reduce(0) { $0 + $1.keys.count }
    let labels = Dictionary(
      keyed.map { ($0.key, "\($0.run.point.label) seed \($0.run.seed)") }, uniquingKeysWith: { a, _ in a })
    let cachedKeys = Set(records.keys)
    progress.begin(
      experiment: plan.spec.id, total: keyed.count, cached: keyed.count - queued - otherShards,
      toRun: queued)
    var failures: [(key: String, error: String)] = []
    var trainedNow = 0
    // Runs another process sharing the cache finished while this one waited for them: cached, not trained here.
    let elsewhere = KeySet()
    if !todo.isEmpty {
      // A job's siblings are stored with it: whatever the worker says of the job holds for them too.
      let siblingsOf = Dictionary(todo.map { ($0.key, ($0.siblings ?? []).map(\.key)) }) { a, _ in a }
      failures = try WorkerPool.train(todo, executable: options.executable, processes: options.jobs) { message in
        for key in [message.key] + (siblingsOf[message.key] ?? []) {
          let label = labels[key] ?? key
          switch message.kind {
          case .cached:
            elsewhere.insert(key)
            progress.finished(key: key, label: "\(label) (trained by another process)", failed: nil)
          case .busy: break  // the pool sets it aside and waits
          case .progress:
            if key == message.key {
              progress.update(
                key: key, label: label, epoch: message.epoch ?? 0, epochs: message.epochs ?? 0,
                step: message.step ?? 0, totalSteps: message.totalSteps ?? 0, loss: message.loss)
            }
          case .done: progress.finished(key: key, label: label, failed: nil)
          case .failed: progress.finished(key: key, label: label, failed: message.error)
          }
        }
      }
      failures = failures.flatMap { f in [f] + (siblingsOf[f.key] ?? []).map { (key: $0, error: f.error) } }
      for key in todo.flatMap(\.keys) { if let r = options.cache.load(key) { records[key] = r } }
      let notCached = keyed.filter { !cachedKeys.contains($0.key) && !elsewhere.contains($0.key) }
      trainedNow = notCached.filter { records[$0.key] != nil }.count
    }
    // A worker may die after storing its run and before saying so: that run is trained, not failed.
    let failed = failures.filter { records[$0.key] == nil }.map { "\(labels[$0.key] ?? $0.key): \($0.error)" }
    let cached = keyed.filter { cachedKeys.contains($0.key) || elsewhere.contains($0.key) }.count
    let tally = RunTally(
      total: keyed.count, cached: cached, trained: trainedNow, failed: failed.count,
      notAttempted: keyed.count - cached - trainedNow - failed.count,
      fromCommitted: keyed.filter { committedKeys.contains($0.key) }.count)
    let partial = PartialResults.url(in: options.resultsDirectory, id: plan.spec.id)
    guard keyed.allSatisfy({ records[$0.key] != nil }) else {
      // What is finished so far, beside the results, so a sweep committed part-way (a `full` scale run over several
      // machines) is reused there as committed records and finishes where it stopped.
      let finished = keyed.compactMap { records[$0.key] }.filter { $0.status != .failed }
      if !finished.isEmpty {
        try? FileManager.default.createDirectory(
          at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? AtomicFile.write(
          JSON.encode(
            PartialResults(experimentID: plan.spec.id, scale: plan.scale, overrides: plan.overrides, runs: finished)),
          to: partial)
      }
      progress.end(experiment: plan.spec.id, tally: tally, verdict: nil)
      return ExperimentOutcome(
        id: plan.spec.id, total: keyed.count, cached: cached, fromCommitted: tally.fromCommitted, trained: trainedNow,
        failed: failed, notAttempted: tally.notAttempted, results: nil)
    }
    // The cache is keyed by config alone, so a record may have been trained for another experiment's grid (two
    // specs sharing an arm): its coordinates are this plan's, not the ones stored with it.
    let all = keyed.map { k in
      var record = records[k.key]!
      record.point = k.run.point.coordinates
      return record
    }
    var runs = all.filter { !RobustnessAxis.isVariant($0.point) }
    let robustnessRuns = all.filter { RobustnessAxis.isVariant($0.point) }
    var tuning: TuningReport?
    if let budget = plan.tuning { (runs, tuning) = budget.select(points: plan.points, runs: runs) }
    let checksums = keyed.reduce(into: [String: String]()) { all, k in all.merge(k.datasetChecksums) { a, _ in a } }
    let evaluation = evaluate(plan.spec.claim, points: plan.points, runs: runs, calibration: calibration?.recordForGate)
    let results = ExperimentResults(
      experimentID: plan.spec.id, scale: plan.scale, spec: plan.spec, runs: runs, verdict: evaluation,
      provenance: ProvenanceCollector.collect(
        specHash: specHash, datasetChecksums: checksums, kernels: kernels,
        regularizers: Array(Set(keyed.flatMap { k in [k.run.config.regularizer] + k.run.config.regularizer.with }.map(\.name)))
          .sorted()),
      totalWallSeconds: Date().timeIntervalSince(start), tuning: tuning, overrides: plan.overrides,
      calibration: calibration, robustnessRuns: robustnessRuns)
    try FileManager.default.createDirectory(at: options.resultsDirectory, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(at: partial)  // complete now
    let file = options.resultsDirectory.appendingPathComponent("\(plan.spec.id).json")
    // The same runs of the same spec as the stored file: keep it, provenance and all (it describes the build that
    // trained them, and a fresh clone's replicate must leave Reports/ byte-identical). Only a verdict this build
    // decides differently (a changed rule of the gate) replaces the stored one.
    if var stored = storedResults(file), stored.holdsTheSameRuns(as: results) {
      if stored.verdict != evaluation {
        stored.verdict = evaluation
        try AtomicFile.write(JSON.encode(stored), to: file)
      }
      progress.end(experiment: plan.spec.id, tally: tally, verdict: evaluation.verdict.rawValue)
      return ExperimentOutcome(
        id: plan.spec.id, total: keyed.count, cached: cached, fromCommitted: tally.fromCommitted,
        trained: trainedNow, failed: failed, notAttempted: 0, results: stored)
    }
    try AtomicFile.write(JSON.encode(results), to: file)
    progress.end(experiment: plan.spec.id, tally: tally, verdict: evaluation.verdict.rawValue)
    // The verdict line with its reason and the page comes from the command, once the pages are written.
    return ExperimentOutcome(
      id: plan.spec.id, total: keyed.count, cached: cached, fromCommitted: tally.fromCommitted, trained: trainedNow,
      failed: failed, notAttempted: 0, results: results)
  }
}

/// The results stored at `file`, or nil when there are none or they do not decode.
func storedResults(_ file: URL) -> ExperimentResults? {
  guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
  return try? ExperimentResults.decoder().decode(ExperimentResults.self, from: data)
}

extension ExperimentResults {
  /// Whether `other` is these results again: the same experiment, scale, overrides, spec, tuning and runs (every
  /// record equal: key, config, seed, status, epochs, metrics, wall time). Provenance and the verdict may differ.
  func holdsTheSameRuns(as other: ExperimentResults) -> Bool {
    experimentID == other.experimentID && scale == other.scale && (overrides ?? []) == (other.overrides ?? [])
      && spec == other.spec && tuning == other.tuning && runs == other.runs && calibration == other.calibration
      && robustnessRuns == other.robustnessRuns
  }
}

/// The checksums of the dataset files a run reads, hashed once per dataset config (name and options).
struct DatasetChecksums {
  private var known: [String: [String: String]] = [:]

  mutating func of(_ config: RunConfig) throws -> [String: String] {
    let options = RunExecutor.datasetOptions(config)
    let tag = "\(config.dataset.name)|\(options)"
    if let sums = known[tag] { return sums }
    let sums = try DatasetRegistry.fileChecksums(config.dataset.name, options: options)
    known[tag] = sums
    return sums
  }
}

/// What happened to every run of one experiment: each is exactly one of cached, trained, failed, not attempted.
public struct RunTally: Sendable {
  public var total, cached, trained, failed, notAttempted: Int
  /// Of `cached`, the runs taken from the committed records.
  public var fromCommitted: Int = 0

  public init(total: Int, cached: Int, trained: Int, failed: Int, notAttempted: Int, fromCommitted: Int = 0) {
    (self.total, self.cached, self.trained, self.failed) = (total, cached, trained, failed)
    (self.notAttempted, self.fromCommitted) = (notAttempted, fromCommitted)
  }

  public var summary: String {
    let reused = fromCommitted > 0 ? " (\(fromCommitted) from the committed results)" : ""
    var parts = ["\(trained) trained", "\(cached) cached\(reused)", "\(failed) failed"]
    if notAttempted > 0 { parts.append("\(notAttempted) not attempted") }
    return "\(total) runs: " + parts.joined(separator: ", ")
  }
}

final class KeySet: @unchecked Sendable {
  private let lock = NSLock()
  private var keys = Set<String>()

  func insert(_ key: String) {
    lock.lock()
    keys.insert(key)
    lock.unlock()
  }

  func contains(_ key: String) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return keys.contains(key)
  }
}

final class FailureLog: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var entries: [(String, String)] = []

  func add(_ key: String, _ error: String) {
    lock.lock()
    entries.append((key, error))
    lock.unlock()
  }
}

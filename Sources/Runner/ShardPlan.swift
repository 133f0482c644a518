import Experiments
import Foundation

/// Cost-balanced assignment of runs to the shards of a Slurm job array.
///
/// `index % n` gives every shard the same number of runs, but a sweep's runs differ in cost by orders of magnitude
/// (a U-Net run against an MLP run, 60k images against 512), so one task can run for hours after the others end.
/// Longest-processing-time-first puts each run, longest first, on the shard with the least work so far: its
/// longest shard is within 4/3 of the best possible.
///
/// Every task of an array computes its own share independently, so the assignment must be a pure function of the
/// plan: it takes every run of the plan (cached or not, in plan order) with an estimate that does not read the
/// cache, and breaks ties by plan position, then shard index — never by key, since keys hash the node's kernels.
public enum ShardPlan {
  /// The run keys of each shard (`count` lists, each in input order). A key listed twice (two grid points with
  /// one config) is one run: it goes where its first occurrence goes.
  public static func assign(_ runs: [(key: String, seconds: Double)], shards count: Int) -> [[String]] {
    precondition(count >= 1, "a shard plan needs at least one shard")
    var seen = Set<String>()
    var unique: [(index: Int, key: String, seconds: Double)] = []
    for (index, run) in runs.enumerated() where seen.insert(run.key).inserted {
      // A negative or non-finite estimate would corrupt the loads; such a run costs nothing known.
      unique.append((index, run.key, run.seconds.isFinite ? max(run.seconds, 0) : 0))
    }
    let order = unique.sorted { a, b in a.seconds != b.seconds ? a.seconds > b.seconds : a.index < b.index }
    var load = [Double](repeating: 0, count: count)
    var shardOf: [Int: Int] = [:]
    for run in order {
      // The first least-loaded shard: ties go to the lowest index, so equal-cost runs fill shards in order.
      var best = 0
      for s in 1..<count where load[s] < load[best] { best = s }
      load[best] += run.seconds
      shardOf[run.index] = best
    }
    var shards = [[String]](repeating: [], count: count)
    for run in unique { shards[shardOf[run.index]!].append(run.key) }
    return shards
  }

  /// The keys shard `index` of `count` trains, as a set for membership tests.
  public static func keys(
    of index: Int, count: Int, runs: [(key: String, seconds: Double)]
  ) -> Set<String> {
    Set(assign(runs, shards: count)[index])
  }

  /// The estimated total seconds of each shard under `assign`, for `submit` to size time limits.
  public static func loads(_ runs: [(key: String, seconds: Double)], shards count: Int) -> [Double] {
    let cost = Dictionary(runs.map { ($0.key, $0.seconds) }, uniquingKeysWith: { a, _ in a })
    return assign(runs, shards: count).map { $0.reduce(0) { $0 + (cost[$1] ?? 0) } }
  }
}

/// A run's estimated single-thread seconds from its config alone: the images it trains plus a third of the images
/// it evaluates (a forward without backward; every evaluation reads the test split and the training set), over the
/// model's nominal rate (`ModelDescription.trainingRate`). It deliberately ignores measured rates in the cache:
/// shards of one array see different caches and must agree. Only the ratios between runs matter for balancing;
/// `--dry-run` corrects the level with this machine's cached runs.
public enum RunCost {
  /// An evaluated image costs about a third of a trained one (forward only).
  public static let evaluationCost = 1.0 / 3

  /// Training images a run processes: the step budget when `train.steps` is set, else epochs × training-set size
  /// (less its validation split).
  public static func images(_ config: RunConfig, catalog: Catalog) -> Double {
    let size = trainingCount(config, catalog: catalog)
    if let steps = config.train.steps { return Double(steps * min(config.train.batch, max(size, 1))) }
    return Double(config.train.epochs * size)
  }

  /// Images a run evaluates: at every evaluation (each `eval_every` epochs and the last; once with a step
  /// budget) the test split and the training set.
  public static func evaluatedImages(_ config: RunConfig, catalog: Catalog) -> Double {
    let train = trainingCount(config, catalog: catalog)
    let test = config.dataset.testSize ?? catalog.datasets[config.dataset.name]?.fullTestSize ?? 0
    let evaluations =
      config.train.steps != nil
      ? 1 : (config.train.epochs + max(1, config.train.evalEvery) - 1) / max(1, config.train.evalEvery)
    return Double(evaluations * (train + test))
  }

  static func trainingCount(_ config: RunConfig, catalog: Catalog) -> Int {
    let size = config.dataset.trainSize ?? catalog.datasets[config.dataset.name]?.fullTrainSize ?? 0
    return size - Int((Double(size) * config.dataset.validationFraction).rounded())
  }

  /// The nominal rate of this config's model at its size (1,000 images/s for a model the catalog does not know).
  public static func rate(_ config: RunConfig, catalog: Catalog) -> Double {
    let input = catalog.datasets[config.dataset.name]?.imageShape ?? [28, 28, 1]
    return catalog.models[config.model.name]?.trainingRate(inputShape: input, parameters: config.model.params) ?? 1_000
  }

  public static func seconds(_ config: RunConfig, catalog: Catalog) -> Double {
    (images(config, catalog: catalog) + evaluationCost * evaluatedImages(config, catalog: catalog))
      / rate(config, catalog: catalog)
  }
}

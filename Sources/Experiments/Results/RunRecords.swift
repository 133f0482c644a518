import Foundation

/// How one training run ended.
public enum RunStatus: String, Codable, Sendable {
  case ok
  /// The loss became NaN or infinite; the run stopped at once. Its metrics are never averaged as numbers.
  case diverged
  /// The run threw (a bug or an environment problem); the other runs are kept.
  case failed
  /// The run finished but never trained (a classifier at chance on its own training set). Like a diverged run,
  /// it is listed and never averaged.
  case stalled
}

/// Metrics after one epoch (evaluated on the test split).
public struct EpochMetrics: Codable, Sendable, Equatable {
  public var epoch: Int
  public var trainLoss: Double
  public var metrics: [String: Double]

  public init(epoch: Int, trainLoss: Double, metrics: [String: Double]) {
    self.epoch = epoch
    self.trainLoss = trainLoss
    self.metrics = metrics
  }
}

/// The finished result of one run: what the cache stores and what results JSON lists.
/// Everything here is deterministic except `wallSeconds` (and the provenance's host facts), which `report` and
/// `diff` never compare bit for bit.
public struct RunRecord: Codable, Sendable, Equatable {
  /// Cache key: SHA-256 of the resolved run config, engine version, dataset checksums and kernel selection.
  public var key: String
  /// The sweep coordinates of this run's grid point, e.g. `["regularizer.rate": 0.5]`, as canonical JSON values.
  public var point: [String: ConfigValue]
  public var seed: Int
  /// The fully resolved run config (base + scale + sweep point + CLI overrides).
  public var config: ConfigValue
  public var status: RunStatus
  /// Optimisation step at which the loss became non-finite (diverged runs only).
  public var divergedAtStep: Int?
  public var error: String?
  public var epochs: [EpochMetrics]
  /// Final metrics (e.g. `test_accuracy`, `test_error`, `train_accuracy`, `dice`, `iou`).
  public var final: [String: Double]
  public var wallSeconds: Double

  public init(
    key: String, point: [String: ConfigValue], seed: Int, config: ConfigValue, status: RunStatus,
    divergedAtStep: Int? = nil, error: String? = nil, epochs: [EpochMetrics], final: [String: Double],
    wallSeconds: Double
  ) {
    self.key = key
    self.point = point
    self.seed = seed
    self.config = config
    self.status = status
    self.divergedAtStep = divergedAtStep
    self.error = error
    self.epochs = epochs
    self.final = final
    self.wallSeconds = wallSeconds
  }
}

/// Where a result came from. Host facts (CPU, wall time) are recorded but never part of a comparison.
public struct Provenance: Codable, Sendable, Equatable {
  public var gitCommit: String
  public var gitDirty: Bool
  public var specHash: String
  public var engineVersion: String
  public var datasetChecksums: [String: String]
  public var swiftVersion: String
  public var blasCoreType: String
  public var blasConfig: String
  public var dnnlISA: String
  public var dnnlVersion: String
  public var cpuModel: String
  /// The compile target CPU of the numeric code (`haswell`, `baseline`, `custom`); nil in results from before it
  /// was recorded.
  public var targetCPU: String?
  /// The version (file hash) of each regularizer the experiment uses; nil in older results.
  public var regularizerVersions: [String: String]?

  public init(
    gitCommit: String, gitDirty: Bool, specHash: String, engineVersion: String, datasetChecksums: [String: String],
    swiftVersion: String, blasCoreType: String, blasConfig: String, dnnlISA: String, dnnlVersion: String,
    cpuModel: String, targetCPU: String? = nil, regularizerVersions: [String: String]? = nil
  ) {
    self.targetCPU = targetCPU
    self.regularizerVersions = regularizerVersions
    self.gitCommit = gitCommit
    self.gitDirty = gitDirty
    self.specHash = specHash
    self.engineVersion = engineVersion
    self.datasetChecksums = datasetChecksums
    self.swiftVersion = swiftVersion
    self.blasCoreType = blasCoreType
    self.blasConfig = blasConfig
    self.dnnlISA = dnnlISA
    self.dnnlVersion = dnnlVersion
    self.cpuModel = cpuModel
  }
}

/// `Reports/results/<id>.json`: every run of one experiment at one scale, the verdict and provenance.
public struct ExperimentResults: Codable, Sendable, Equatable {
  public static let currentSchemaVersion = 1
  public var schemaVersion: Int
  public var experimentID: String
  public var scale: String
  /// The spec as it was run (after scale and CLI overrides), so reports never need the YAML file.
  public var spec: ExperimentSpec
  /// The runs the claim and the page read. At a tuned scale (`ExperimentSpec.tune`), each tuned arm's runs are
  /// its chosen candidate's, under the arm's own grid point; `tuning` keeps every candidate and the choices.
  public var runs: [RunRecord]
  /// What a tuning budget chose (tuned scales only; absent otherwise and in older results).
  public var tuning: TuningReport?
  public var verdict: ClaimEvaluation
  public var provenance: Provenance
  public var totalWallSeconds: Double
  /// The command-line overrides the runs were planned with (`key=value`, in order); absent when there were none,
  /// as in every published result. Results with overrides are written apart from `Reports/` unless published.
  public var overrides: [String]?
  /// The spec's calibration (`Experiments/calibration/<id>.json` when the runs were assembled): the page shows it,
  /// and the regime gate reads its chosen rung for budget robustness. Absent when the spec had none.
  public var calibration: CalibrationFile?
  /// The runs of the spec's robustness axis (`RobustnessAxis`): shown beside the verdict, read by no check. Absent
  /// when the spec declares none.
  public var robustnessRuns: [RunRecord]?

  public init(
    experimentID: String, scale: String, spec: ExperimentSpec, runs: [RunRecord], verdict: ClaimEvaluation,
    provenance: Provenance, totalWallSeconds: Double, tuning: TuningReport? = nil, overrides: [String]? = nil,
    calibration: CalibrationFile? = nil, robustnessRuns: [RunRecord]? = nil
  ) {
    self.calibration = calibration
    self.robustnessRuns = robustnessRuns.flatMap { $0.isEmpty ? nil : $0 }
    self.tuning = tuning
    self.overrides = overrides.flatMap { $0.isEmpty ? nil : $0 }
    self.schemaVersion = Self.currentSchemaVersion
    self.experimentID = experimentID
    self.scale = scale
    self.spec = spec
    self.runs = runs
    self.verdict = verdict
    self.provenance = provenance
    self.totalWallSeconds = totalWallSeconds
  }
}

extension ExperimentResults {
  /// The decoder of results files (and of anything holding run records): non-finite metrics are stored as the
  /// strings "inf", "-inf" and "nan".
  public static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }

  /// The verdict recomputed from the stored runs with this build's checks and regime gate, so `report` reflects
  /// the current statistics without retraining. The runs, spec and provenance are unchanged.
  public func reevaluated() -> ExperimentResults {
    var copy = self
    copy.verdict = evaluate(spec.claim, points: spec.points(), runs: runs, calibration: calibration?.recordForGate)
    return copy
  }
}

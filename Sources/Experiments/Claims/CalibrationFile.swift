import Foundation

/// What `dropbench calibrate` found for one spec: every rung tried (settings, cost, the pilot's figures, whether it
/// meets the pilot conditions of the regime rule), the rung chosen, the pilot seeds. Written to
/// `Experiments/calibration/<id>.json` and committed before the verdict runs; the regime gate reads the chosen
/// rung's `record`.
public struct CalibrationFile: Codable, Sendable, Equatable {
  public struct Rung: Codable, Sendable, Equatable {
    /// The base overrides of this rung (empty: the spec as written).
    public var settings: [String: ConfigValue]
    /// Images processed by one verdict run at this rung (training-set size × epochs).
    public var imagesPerRun: Int
    /// E, the verdict runs' epochs; the pilot trains E/2 and E.
    public var epochs: Int
    public var record: CalibrationRecord
    /// The regime on the pilot's E schedules (no test metric, so over-fitting is left to the verdict runs).
    public var rows: [RegimeReport.Row]
    public var meets: Bool
    /// Why it does not meet the conditions, one line each (empty when it does).
    public var why: [String]
    /// The trainability probes of the rung's other arms, trained before its pilots; nil in records made before
    /// probes existed and in re-scores (which train only the record's own pilots).
    public var probes: [Probe]?

    public init(
      settings: [String: ConfigValue], imagesPerRun: Int, epochs: Int, record: CalibrationRecord,
      rows: [RegimeReport.Row], meets: Bool, why: [String], probes: [Probe]? = nil
    ) {
      (self.settings, self.imagesPerRun, self.epochs, self.record) = (settings, imagesPerRun, epochs, record)
      (self.rows, self.meets, self.why, self.probes) = (rows, meets, why, probes)
    }
  }

  /// A trainability probe: one arm the pilots do not train (neither the reference nor the most-regularized arm),
  /// trained for a short complete schedule (E/10 epochs) on the first pilot seed — or as `calibration.probes` says,
  /// E epochs and every pilot seed — never evaluated on the test split.
  /// An arm that diverges or stalls there cannot be compared at the rung's settings, so the rung is not paid for.
  public struct Probe: Codable, Sendable, Equatable {
    public var point: [String: ConfigValue]
    public var label: String
    public var epochs: Int
    public var seed: Int
    /// nil when the probe did not finish (the machine, not the arm).
    public var status: RunStatus?
    public var divergedAtStep: Int?

    public init(
      point: [String: ConfigValue], label: String, epochs: Int, seed: Int, status: RunStatus?, divergedAtStep: Int?
    ) {
      (self.point, self.label, self.epochs, self.seed) = (point, label, epochs, seed)
      (self.status, self.divergedAtStep) = (status, divergedAtStep)
    }

    /// Whether the arm trained: it finished and neither diverged nor stalled.
    public var trained: Bool { status == .ok }

    /// "diverged at step 83" / "stalled (never trained)" / "did not finish".
    public var outcome: String {
      switch status {
      case .ok?: "trained"
      case .diverged?: divergedAtStep.map { "diverged at step \($0)" } ?? "diverged"
      case .stalled?: "stalled (never trained)"
      case .failed?, nil: "did not finish"
      }
    }
  }

  public var experimentID: String
  /// SHA-256 of the spec file the pilot planned from.
  public var specHash: String
  public var pilotSeeds: [Int]
  public var rungs: [Rung]
  /// Index of the cheapest rung meeting the conditions; nil when none did (the spec stays uncalibrated).
  public var chosen: Int?
  /// A second calibration with fresh pilot seeds (allowed once; the page says so).
  public var recalibration: Bool
  /// Set when this record re-scores one made under rule v2 (`calibrate --rescore`): the same pilot seeds and rungs,
  /// so the same trainings, now also scored on held-out images; the commit of the record it replaces.
  public var rescoredFrom: String?
  /// Set when rungs were added to a record where none met the conditions (`calibrate --extend`): the commit of the
  /// record extended; its rungs come first, as tried, on the same pilot seeds.
  public var extendedFrom: String?
  public var gitCommit: String

  /// The chosen rung's pilot data, for the gate.
  public var chosenRecord: CalibrationRecord? { chosen.map { rungs[$0].record } }

  /// What the regime gate reads: the chosen rung's pilot, else — no rung met the conditions — the pilot of the spec
  /// as written (an empty rung), so the page shows by how much its budget robustness fails instead of "not
  /// measured". The gate checks the pilot's E against the runs' in either case, and every other setting of the
  /// chosen rung (`CalibrationRecord.settings`).
  public var recordForGate: CalibrationRecord? {
    if let chosen {
      var record = rungs[chosen].record
      record.settings = rungs[chosen].settings
      return record
    }
    return rungs.first { $0.settings.isEmpty }?.record
  }

  public init(
    experimentID: String, specHash: String, pilotSeeds: [Int], rungs: [Rung], chosen: Int?, recalibration: Bool,
    gitCommit: String
  ) {
    (self.experimentID, self.specHash, self.pilotSeeds, self.rungs) = (experimentID, specHash, pilotSeeds, rungs)
    (self.chosen, self.recalibration, self.gitCommit) = (chosen, recalibration, gitCommit)
  }

  /// Whether `ladder` still holds every rung this record tried — what a re-score (the same pilots) and an extension
  /// (new rungs beside the recorded ones) both require of the spec's ladder.
  public func triedOnlyRungsOf(_ ladder: [[String: ConfigValue]]) -> Bool {
    rungs.allSatisfy { ladder.contains($0.settings) }
  }

  public static func url(experiments: String, id: String) -> URL {
    URL(fileURLWithPath: experiments).appendingPathComponent("calibration").appendingPathComponent("\(id).json")
  }
}

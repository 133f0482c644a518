import Foundation

/// How `dropbench calibrate` chooses a spec's proxy budget (`calibration:` in a spec), blind to the verdict: pilot
/// seeds disjoint from the verdict's; a ladder of candidate settings (each a set of base overrides: training-set
/// size, epochs, batch, learning rate), tried cheapest first (images processed per run) under a cap; only the
/// regime's reference and `most_regularized` arm are trained, each at E/2 and E epochs (two complete schedules),
/// and no pilot ever evaluates the test split. The cheapest rung meeting regime rule v2's pilot conditions — the
/// reference fits its training set, both arms' final train metric is budget-robust, every pilot trains — is chosen.
///
/// ```yaml
/// calibration:
///   pilot_seeds: [1000, 1001, 1002, 1003, 1004]   # default; must not meet `seeds`
///   ladder:                                       # default: one rung, the spec as written
///     - {train.epochs: 30}
///     - {train.epochs: 60}
///     - {train.epochs: 60, dataset.train_size: 5000}
///   cap_images: 6000000                           # optional: rungs above it are not tried
/// ```
///
/// The choice is recorded in `Experiments/calibration/<id>.json` (rungs tried, their figures, the choice, the
/// pilot seeds), committed before the verdict runs; the spec is then re-based on the chosen rung by hand, and the
/// regime gate reads the record's chosen rung for condition (c).
public struct CalibrationPlan: Sendable, Equatable {
  public static let defaultPilotSeeds = [1000, 1001, 1002, 1003, 1004]

  public var pilotSeeds: [Int]
  /// Candidate settings: base keys (dotted) → value. An empty rung is the spec as written.
  public var ladder: [[String: ConfigValue]]
  public var capImages: Int?

  public init(pilotSeeds: [Int] = Self.defaultPilotSeeds, ladder: [[String: ConfigValue]] = [[:]], capImages: Int? = nil) {
    self.pilotSeeds = pilotSeeds
    self.ladder = ladder
    self.capImages = capImages
  }

  init(tree: ConfigValue, path: String, file: String, verdictSeeds: [Int]) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(["pilot_seeds", "ladder", "cap_images"])
    var pilots = Self.defaultPilotSeeds
    if let value = r.map["pilot_seeds"] {
      pilots = try ExperimentSpec.parseSeeds(value, path: "\(path).pilot_seeds", file: file)
    }
    let shared = Set(pilots).intersection(verdictSeeds).sorted()
    if !shared.isEmpty {
      throw SpecError(
        file: file, keyPath: "\(path).pilot_seeds",
        message: "pilot seeds \(shared.map(String.init).joined(separator: ", ")) are verdict seeds too",
        suggestion: "pilots must be disjoint from `seeds`, e.g. [1000, 1001, 1002, 1003, 1004]")
    }
    if pilots.count < 2 {
      throw SpecError(
        file: file, keyPath: "\(path).pilot_seeds", message: "a pilot needs at least two seeds for an interval",
        suggestion: "e.g. [1000, 1001, 1002, 1003, 1004]")
    }
    var ladder: [[String: ConfigValue]] = [[:]]
    if let list = try r.optionalList("ladder") {
      guard !list.isEmpty else {
        throw SpecError(file: file, keyPath: "\(path).ladder", message: "an empty ladder tries nothing",
          suggestion: "list one rung or more, e.g. [{train.epochs: 30}, {train.epochs: 60}]")
      }
      ladder = []
      for (i, rung) in list.enumerated() {
        guard let m = rung.asMap else {
          throw SpecError(
            file: file, keyPath: "\(path).ladder[\(i)]", message: "expected a map of base keys, got \(rung.typeName)",
            suggestion: "e.g. {train.epochs: 30, dataset.train_size: 5000}")
        }
        for key in m.keys.sorted() where !["dataset", "model", "train"].contains(String(key.prefix { $0 != "." })) {
          throw SpecError(
            file: file, keyPath: "\(path).ladder[\(i)].\(key)", message: "a rung sets dataset.*, model.* or train.* keys",
            suggestion: "the regularizer and the sweep are the claim's, not the proxy's budget")
        }
        ladder.append(m)
      }
    }
    let cap = try r.optionalInt("cap_images")
    if let cap, cap < 1 {
      throw SpecError(file: file, keyPath: "\(path).cap_images", message: "must be at least 1, got \(cap)")
    }
    self.init(pilotSeeds: pilots, ladder: ladder, capImages: cap)
  }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = [
      "pilot_seeds": .list(pilotSeeds.map { .int($0) }), "ladder": .list(ladder.map { .map($0) }),
    ]
    if let capImages { m["cap_images"] = .int(capImages) }
    return .map(m)
  }
}

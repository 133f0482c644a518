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
///   probes: {length: tenth, seeds: first}         # default; `full` / `all` for cheap specs (see below)
/// ```
///
/// `probes` sets the trainability probes of the arms the pilots do not train: each runs `tenth` of the rung's E
/// (the early divergence of a too-high rate) or its `full` E (an arm still training, or diverging late), on the
/// `first` pilot seed or on `all` of them (an instability that strikes one seed in five). A cheap spec (an MLP, an
/// HME) can afford `{length: full, seeds: all}`: the arms the claim names then train once at the verdict's budget
/// on every pilot seed before the rung's pilots are paid for — still blind to the verdict (no test metric).
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
  /// Each probe trains the rung's full E (else a tenth of it, at least one epoch).
  public var fullLengthProbes: Bool
  /// Every pilot seed probes each arm (else the first alone).
  public var probeEverySeed: Bool

  public init(
    pilotSeeds: [Int] = Self.defaultPilotSeeds, ladder: [[String: ConfigValue]] = [[:]], capImages: Int? = nil,
    fullLengthProbes: Bool = false, probeEverySeed: Bool = false
  ) {
    self.pilotSeeds = pilotSeeds
    self.ladder = ladder
    self.capImages = capImages
    self.fullLengthProbes = fullLengthProbes
    self.probeEverySeed = probeEverySeed
  }

  /// The seeds a rung's probes train on.
  public var probeSeeds: [Int] { probeEverySeed ? pilotSeeds : Array(pilotSeeds.prefix(1)) }

  init(tree: ConfigValue, path: String, file: String, verdictSeeds: [Int]) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(["pilot_seeds", "ladder", "cap_images", "probes"])
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
    var full = false
    var every = false
    if let value = r.map["probes"], value != .null {
      let p = try MapReader(value, path: "\(path).probes", file: file)
      try p.checkKeys(["length", "seeds"])
      func choice(_ key: String, _ options: [String]) throws(SpecError) -> String? {
        guard let v = p.map[key] else { return nil }
        guard case .string(let s) = v, options.contains(s) else {
          throw SpecError(
            file: file, keyPath: "\(path).probes.\(key)", message: "expected \(options.joined(separator: " or ")), got \(v)",
            suggestion: "e.g. probes: {length: full, seeds: all}")
        }
        return s
      }
      full = try choice("length", ["tenth", "full"]) == "full"
      every = try choice("seeds", ["first", "all"]) == "all"
    }
    self.init(pilotSeeds: pilots, ladder: ladder, capImages: cap, fullLengthProbes: full, probeEverySeed: every)
  }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = [
      "pilot_seeds": .list(pilotSeeds.map { .int($0) }), "ladder": .list(ladder.map { .map($0) }),
    ]
    if let capImages { m["cap_images"] = .int(capImages) }
    // Written only when set, so a spec without it keeps its hash.
    if fullLengthProbes || probeEverySeed {
      m["probes"] = .map([
        "length": .string(fullLengthProbes ? "full" : "tenth"), "seeds": .string(probeEverySeed ? "all" : "first"),
      ])
    }
    return .map(m)
  }
}

import NumberFormat

/// A robustness axis (`robustness:` in a spec): an incidental setting the claim's contrasts could hang on, run again
/// on some arms with the verdict's seeds and shown beside the verdict without entering it — no check, regime
/// condition or figure reads these runs.
///
/// ```yaml
/// robustness:
///   title: PyTorch's default initialisation   # how the page names the variant
///   set: {model.init: pytorch}                # dotted base keys, applied to each chosen arm
///   arms: [{regularizer.rate: 0.0}, {regularizer.rate: 0.5}]   # grid-point selectors; default every point
/// ```
///
/// Each chosen arm's runs are planned again with `set` applied; their grid point carries the coordinate
/// `robustness: {<set>}` so they are keyed, cached, sharded and resumed like any run, and the runner files them
/// apart from the claim's runs (`ExperimentResults.robustness`). The page shows each arm's mean under both
/// settings and each arm's paired difference from the regime reference (or the first chosen arm) under both.
public struct RobustnessAxis: Sendable, Equatable {
  public var title: String
  /// `set:` — dotted base keys (`model.init`, `train.lr`, …) → the value the variant runs with.
  public var settings: [String: ConfigValue]
  /// Grid-point selectors of the arms run again (the claim check's selector language); empty: every point.
  public var arms: [[String: ConfigValue]]

  /// The coordinate a robustness run adds to its arm's grid point.
  public static let coordinate = "robustness"

  public init(title: String, settings: [String: ConfigValue], arms: [[String: ConfigValue]] = []) {
    (self.title, self.settings, self.arms) = (title, settings, arms)
  }

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(["title", "set", "arms"])
    let set = try r.optionalMap("set") ?? [:]
    if set.isEmpty {
      throw r.error("set", "a robustness axis needs at least one setting", suggestion: "e.g. set: {model.init: pytorch}")
    }
    for key in set.keys.sorted() where !["dataset", "model", "regularizer", "train"].contains(Self.section(key)) {
      throw r.error(
        "set.\(key)", "a robustness setting is a dotted base key of dataset, model, regularizer or train",
        suggestion: "e.g. model.init or train.lr")
    }
    var arms: [[String: ConfigValue]] = []
    for (i, item) in (try r.optionalList("arms") ?? []).enumerated() {
      guard let selector = item.asMap, !selector.isEmpty else {
        throw SpecError(
          file: file, keyPath: "\(r.keyPath("arms"))[\(i)]", message: "expected a grid-point selector (a map)",
          suggestion: "e.g. {regularizer.rate: 0.5}")
      }
      arms.append(selector)
    }
    self.init(title: try r.string("title"), settings: set, arms: arms)
  }

  static func section(_ key: String) -> String { String(key.prefix { $0 != "." }) }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = ["title": .string(title), "set": .map(settings)]
    if !arms.isEmpty { m["arms"] = .list(arms.map(ConfigValue.map)) }
    return .map(m)
  }

  /// Whether the axis runs `point` again.
  public func chooses(_ point: GridPoint) -> Bool {
    arms.isEmpty || arms.contains { point.matches($0) }
  }

  /// The variant's label suffix: `model.init=pytorch`.
  var labelSuffix: String {
    settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: ", ")
  }

  /// Plans the variant of `arm` (the arm's run tree without its seed) as `point` with the coordinate added.
  func variant(of arm: ConfigValue, point: GridPoint) -> (tree: ConfigValue, point: GridPoint) {
    var tree = arm
    for (key, value) in settings { tree[path: key] = value }
    var runPoint = point
    runPoint.coordinates[Self.coordinate] = .map(settings)
    runPoint.label += " · \(labelSuffix)"
    return (tree, runPoint)
  }
}

extension RobustnessAxis {
  /// Whether a run's coordinates are a robustness run's: the one test every reader of runs uses (plans, the
  /// runner's filing into `runs`/`robustnessRuns`, the page's section).
  public static func isVariant(_ coordinates: [String: ConfigValue]) -> Bool { coordinates[coordinate] != nil }

  /// The claim point's coordinates a robustness run stands beside (its own without the axis's); nil for a claim run.
  public static func claimCoordinates(ofVariant coordinates: [String: ConfigValue]) -> [String: ConfigValue]? {
    guard isVariant(coordinates) else { return nil }
    var c = coordinates
    c[coordinate] = nil
    return c
  }
}

extension GridPoint {
  /// Whether this is a robustness run's point (`RobustnessAxis`), which no claim check reads.
  public var isRobustnessVariant: Bool { RobustnessAxis.isVariant(coordinates) }
}

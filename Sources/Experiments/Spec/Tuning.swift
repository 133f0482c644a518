import Foundation
import NumberFormat

/// A tuning budget for a comparison of methods (`tune:` in a spec): at the scales it names, every method's main
/// knob gets the same number of candidate values, every candidate is trained with every seed, each arm keeps the
/// candidate with the best mean validation metric (a held-out part of the training data, never the test split),
/// and the arm's test figures are those of its chosen candidate. At other scales the arms run as written (each
/// method at its paper's nominal setting, untuned) and the block changes no run.
///
/// ```yaml
/// tune:
///   scales: [full]            # default [full]
///   metric: val_accuracy      # a validation metric (val_*), default val_accuracy
///   validation_fraction: 0.1  # held out of every run's training data at a tuned scale, default 0.1
///   knobs:                    # regularizer name → {its parameter: candidate values}; the same count for all
///     dropout: {rate: [0.1, 0.3, 0.5]}
///     cutout: {length: [8, 14, 20]}
/// ```
///
/// A run that already holds out validation data (NSDropout's 0.2) keeps its own fraction. An evaluation axis
/// (`eval.*`) is part of an arm's grid point, so each evaluation setting chooses its own candidate. The chosen value is
/// the first best among candidates whose runs mostly finished (more than half `ok`); when none did, the first
/// candidate stands for the arm and its failed runs are reported as such.
public struct TuningBudget: Sendable, Equatable {
  public struct Knob: Sendable, Equatable {
    /// A parameter of the regularizer, e.g. `rate`.
    public var parameter: String
    public var values: [ConfigValue]
  }

  public var scales: [String]
  public var metric: String
  public var validationFraction: Double
  /// Regularizer name → its knob.
  public var knobs: [String: Knob]

  /// The coordinate a candidate run adds to its arm's grid point: `tune: {<parameter>: <value>}`.
  public static let coordinate = "tune"

  public init(scales: [String] = ["full"], metric: String = "val_accuracy", validationFraction: Double = 0.1,
    knobs: [String: Knob]
  ) {
    self.scales = scales
    self.metric = metric
    self.validationFraction = validationFraction
    self.knobs = knobs
  }

  public func applies(to scale: String) -> Bool { scales.contains(scale) }

  init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(["scales", "metric", "validation_fraction", "knobs"])
    scales = try r.optionalStringList("scales") ?? ["full"]
    metric = try r.optionalString("metric") ?? "val_accuracy"
    guard metric.hasPrefix("val_"), MetricRegistry.info(metric) != nil else {
      throw SpecError.unknown(
        "validation metric", metric, choices: MetricRegistry.all.map(\.name).filter { $0.hasPrefix("val_") },
        file: file, keyPath: r.keyPath("metric"))
    }
    validationFraction = try r.optionalDouble("validation_fraction") ?? 0.1
    guard validationFraction > 0, validationFraction <= 0.5 else {
      throw r.error("validation_fraction", "must be in (0, 0.5], got \(Fmt.plain(validationFraction))")
    }
    guard let entries = try r.optionalMap("knobs"), !entries.isEmpty else {
      throw r.error("knobs", "missing: name each method's knob and its candidate values",
        suggestion: "knobs: {dropout: {rate: [0.1, 0.3, 0.5]}}")
    }
    knobs = [:]
    for (name, value) in entries {
      let at = r.keyPath("knobs.\(name)")
      guard let m = value.asMap, m.count == 1, let (parameter, list) = m.first, let values = list.asList,
        values.count >= 2
      else {
        throw SpecError(
          file: file, keyPath: at, message: "expected one parameter and at least two candidate values",
          suggestion: "\(name): {rate: [0.1, 0.3, 0.5]}")
      }
      guard Set(values).count == values.count else {
        throw SpecError(file: file, keyPath: at, message: "candidate values repeat: \(list)")
      }
      knobs[name] = Knob(parameter: parameter, values: values)
    }
    // The same budget for every method: otherwise a method with more candidates is favoured by the search.
    let counts = Set(knobs.values.map(\.values.count))
    if counts.count > 1 {
      let listed = knobs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.values.count)" }
      throw r.error(
        "knobs", "every method gets the same number of candidates; got " + listed.joined(separator: ", "),
        suggestion: "give each knob \(counts.max()!) values")
    }
  }

  var tree: ConfigValue {
    .map([
      "scales": .list(scales.map(ConfigValue.string)), "metric": .string(metric),
      "validation_fraction": .double(validationFraction),
      "knobs": .map(knobs.mapValues { .map([$0.parameter: .list($0.values)]) }),
    ])
  }

  /// The runs one arm (its resolved run tree) expands into at a tuned scale: one tree per candidate, each with
  /// its `tune` coordinate, or the arm alone (no coordinate) when its regularizer has no knob (`none`).
  /// Every tree holds out `validationFraction` of the training data unless it already holds some out.
  func candidates(of tree: ConfigValue) -> [(tree: ConfigValue, coordinate: ConfigValue?)] {
    var held = tree
    if (held[path: "dataset.validation_fraction"]?.asDouble ?? 0) == 0 {
      held[path: "dataset.validation_fraction"] = .double(validationFraction)
    }
    guard let name = Self.regularizerName(held), let knob = knobs[name] else { return [(held, nil)] }
    return knob.values.map { value in
      var candidate = held
      if case .string(let n)? = candidate[path: "regularizer"] { candidate[path: "regularizer"] = .map(["name": .string(n)]) }
      candidate[path: "regularizer.\(knob.parameter)"] = value
      return (candidate, .map([knob.parameter: value]))
    }
  }

  static func regularizerName(_ tree: ConfigValue) -> String? {
    switch tree[path: "regularizer"] {
    case .string(let name)?: name
    case .map(let m)?: m["name"]?.asString
    default: nil
    }
  }

  /// Chooses each tuned arm's candidate (see the type's rule) and returns the runs a claim and a page read —
  /// untuned arms as they are, each tuned arm as its chosen candidate's runs under the arm's own grid point —
  /// with the report of every choice and all candidate runs.
  public func select(points: [GridPoint], runs: [RunRecord]) -> (runs: [RunRecord], report: TuningReport) {
    let goal = naturalGoal(of: metric)
    var byArm: [[String: ConfigValue]: [RunRecord]] = [:]
    var reported: [RunRecord] = []
    for run in runs {
      guard run.point[Self.coordinate] != nil else {
        reported.append(run)
        continue
      }
      var arm = run.point
      arm[Self.coordinate] = nil
      byArm[arm, default: []].append(run)
    }
    var choices: [TuningChoice] = []
    for point in points {
      guard let candidateRuns = byArm[point.coordinates] else { continue }
      // Candidates in the order the knob lists them (the order runs were planned in).
      var order: [ConfigValue] = []
      for run in candidateRuns where !order.contains(run.point[Self.coordinate]!) {
        order.append(run.point[Self.coordinate]!)
      }
      let stats = order.map { c -> (mean: Double?, ok: Int, total: Int) in
        let mine = candidateRuns.filter { $0.point[Self.coordinate] == c }
        let values = mine.filter { $0.status == .ok }.compactMap { $0.final[metric] }.filter(\.isFinite)
        let mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        return (mean, values.count, mine.count)
      }
      var chosen = 0
      var best: Double?
      for (i, s) in stats.enumerated() where 2 * s.ok > s.total {
        guard let m = s.mean else { continue }
        if best == nil || (goal == .min ? m < best! : m > best!) { (chosen, best) = (i, m) }
      }
      let parameter = order[chosen].asMap?.keys.first ?? ""
      choices.append(
        TuningChoice(
          point: point.coordinates, label: point.label, parameter: parameter,
          values: order.map { $0.asMap?[parameter] ?? .null }, validation: stats.map(\.mean),
          finished: stats.map(\.ok), chosen: chosen))
      for run in candidateRuns where run.point[Self.coordinate] == order[chosen] {
        var r = run
        r.point = point.coordinates
        reported.append(r)
      }
    }
    // Reported runs in plan order: arm by arm (grid order), seeds inner.
    let position = Dictionary(points.enumerated().map { ($0.element.coordinates, $0.offset) }) { a, _ in a }
    reported.sort { (position[$0.point] ?? .max, $0.seed) < (position[$1.point] ?? .max, $1.seed) }
    return (reported, TuningReport(metric: metric, choices: choices, candidates: runs.filter { $0.point[Self.coordinate] != nil }))
  }
}

/// One tuned arm: its candidates' mean validation metric and the value chosen.
public struct TuningChoice: Codable, Sendable, Equatable {
  /// The arm's grid point (as the claim's selectors see it) and its label.
  public var point: [String: ConfigValue]
  public var label: String
  public var parameter: String
  public var values: [ConfigValue]
  /// Mean validation metric over each candidate's finished seeds (nil: none finished).
  public var validation: [Double?]
  /// Finished (`ok`) seeds per candidate.
  public var finished: [Int]
  /// Index into `values`.
  public var chosen: Int
}

/// What a tuned scale chose, stored in results JSON beside the runs the claim reads.
public struct TuningReport: Codable, Sendable, Equatable {
  public var metric: String
  public var choices: [TuningChoice]
  /// Every candidate run, chosen or not, with its `tune` coordinate.
  public var candidates: [RunRecord]
}

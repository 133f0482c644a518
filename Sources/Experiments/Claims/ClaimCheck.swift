import Foundation

/// The machine-checkable form of a paper's claim, written in a spec as `check: {kind: …, …}`.
/// See `evaluate(_:points:runs:)` for how each kind decides holds / fails / inconclusive.
public struct ClaimCheck: Codable, Sendable, Equatable {
  /// Which way is better for a metric.
  public enum Goal: String, Codable, Sendable, CaseIterable {
    case max, min
  }

  /// The direction of a monotone trend in the metric's raw value.
  public enum Trend: String, Codable, Sendable, CaseIterable {
    case increasing, decreasing
  }

  /// The rule and its fields.
  public enum Rule: Sendable, Equatable {
    /// `argmax_in` (goal max) / `argmin_in` (goal min): the best x lies in [range[0], range[1]].
    case bestIn(x: String, metric: String, range: [Double], goal: Goal)
    /// `peak_interior`: the best x is strictly inside the grid; nil direction = the metric's natural goal.
    case peakInterior(x: String, metric: String, direction: Goal?)
    /// `better_than`: the points selected by `a` beat those selected by `b` by more than `margin`.
    case betterThan(metric: String, a: [String: ConfigValue], b: [String: ConfigValue], margin: Double)
    /// `not_better_than`: `a` gives no gain over `b` of `margin` or more (one-sided equivalence).
    case notBetterThan(metric: String, a: [String: ConfigValue], b: [String: ConfigValue], margin: Double)
    /// `equivalent`: `a` and `b` differ by less than `margin` either way (two one-sided tests).
    case equivalent(metric: String, a: [String: ConfigValue], b: [String: ConfigValue], margin: Double)
    /// `at_least`: the selected point's mean reaches `value` (an absolute claim, e.g. "reaches 99%").
    case atLeast(metric: String, value: Double)
    /// `plateau`: every point with x in `range` is within `margin` of every other (a broad, flat optimum).
    case plateau(x: String, metric: String, range: [Double], margin: Double)
    /// `less_variable`: `a` has a smaller spread over seeds than `b` (paired Pitman–Morgan test).
    case lessVariable(metric: String, a: [String: ConfigValue], b: [String: ConfigValue])
    /// `monotone`: the metric moves in one direction along x, up to and including `until`.
    case monotone(x: String, metric: String, direction: Trend, until: ConfigValue?)
    /// `most_stable`: the `expected` x has the smallest spread across seeds.
    case mostStable(x: String, metric: String, expected: ConfigValue)
    /// `all`: every sub-check holds.
    case all([ClaimCheck])
  }

  public var rule: Rule
  /// Evaluate separately for each combination of these sweep keys' values, then combine like `all`.
  public var by: [String]
  /// Keep only points whose coordinates equal these values (the spec's `where`).
  public var filter: [String: ConfigValue]

  public init(_ rule: Rule, by: [String] = [], where filter: [String: ConfigValue] = [:]) {
    self.rule = rule
    self.by = by
    self.filter = filter
  }

  static let kinds = [
    "argmax_in", "argmin_in", "peak_interior", "better_than", "not_better_than", "equivalent", "at_least", "plateau",
    "monotone", "most_stable", "less_variable", "all",
  ]

  /// The spec name of the rule, e.g. `peak_interior`.
  public var kind: String {
    switch rule {
    case .bestIn(_, _, _, let goal): return goal == .max ? "argmax_in" : "argmin_in"
    case .peakInterior: return "peak_interior"
    case .betterThan: return "better_than"
    case .notBetterThan: return "not_better_than"
    case .equivalent: return "equivalent"
    case .atLeast: return "at_least"
    case .plateau: return "plateau"
    case .lessVariable: return "less_variable"
    case .monotone: return "monotone"
    case .mostStable: return "most_stable"
    case .all: return "all"
    }
  }

  /// The sweep key the rule ranges over, if any.
  public var x: String? {
    switch rule {
    case .bestIn(let x, _, _, _), .peakInterior(let x, _, _), .monotone(let x, _, _, _), .mostStable(let x, _, _),
      .plateau(let x, _, _, _):
      return x
    default: return nil
    }
  }

  /// Every metric the check (and its sub-checks) reads.
  public var metrics: [String] {
    switch rule {
    case .bestIn(_, let m, _, _), .peakInterior(_, let m, _), .betterThan(let m, _, _, _),
      .notBetterThan(let m, _, _, _), .equivalent(let m, _, _, _), .atLeast(let m, _), .plateau(_, let m, _, _),
      .lessVariable(let m, _, _), .monotone(_, let m, _, _), .mostStable(_, let m, _):
      return [m]
    case .all(let checks):
      var seen: [String] = []
      for m in checks.flatMap(\.metrics) where !seen.contains(m) { seen.append(m) }
      return seen
    }
  }

  /// Parses `{kind: …, …}`; unknown kinds and unknown fields are errors.
  public init(tree: ConfigValue, path: String, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: path, file: file)
    let kind = try r.string("kind")
    let common = ["kind", "by", "where"]
    switch kind {
    case "argmax_in", "argmin_in":
      try r.checkKeys(common + ["x", "metric", "range"])
      let range = try r.optionalDoubleList("range") ?? []
      guard range.count == 2, range[0] <= range[1] else {
        throw r.error("range", "expected [lo, hi] with lo ≤ hi, got \(r.map["range"] ?? .null)")
      }
      rule = .bestIn(
        x: try r.string("x"), metric: try r.string("metric"), range: range, goal: kind == "argmax_in" ? .max : .min)
    case "peak_interior":
      try r.checkKeys(common + ["x", "metric", "direction"])
      let direction = try Self.parseEnum(Goal.self, r.optionalString("direction"), "direction", r)
      rule = .peakInterior(x: try r.string("x"), metric: try r.string("metric"), direction: direction)
    case "better_than":
      try r.checkKeys(common + ["metric", "a", "b", "margin"])
      rule = .betterThan(
        metric: try r.string("metric"), a: try Self.coordinates(r, "a"), b: try Self.coordinates(r, "b"),
        margin: try r.optionalDouble("margin") ?? 0)
    case "not_better_than", "equivalent":
      try r.checkKeys(common + ["metric", "a", "b", "margin"])
      // Results stored before margins existed (file "": a decoded results JSON) read as margin 0, so `diff` and
      // `report` still open old revisions; a spec file must state one.
      let stated = try r.optionalDouble("margin")
      guard let margin = stated ?? (file.isEmpty ? 0 : nil), margin > 0 || (file.isEmpty && stated == nil) else {
        throw r.error("margin", "\(kind) needs a positive margin: the largest difference that counts as none")
      }
      let (metric, a, b) = (try r.string("metric"), try Self.coordinates(r, "a"), try Self.coordinates(r, "b"))
      rule =
        kind == "equivalent"
        ? .equivalent(metric: metric, a: a, b: b, margin: margin)
        : .notBetterThan(metric: metric, a: a, b: b, margin: margin)
    case "at_least":
      try r.checkKeys(common + ["metric", "value"])
      guard let value = try r.optionalDouble("value") else { throw r.error("value", "missing required key 'value'") }
      rule = .atLeast(metric: try r.string("metric"), value: value)
    case "plateau":
      try r.checkKeys(common + ["x", "metric", "range", "margin"])
      let range = try r.optionalDoubleList("range") ?? []
      guard range.count == 2, range[0] <= range[1] else {
        throw r.error("range", "expected [lo, hi] with lo ≤ hi, got \(r.map["range"] ?? .null)")
      }
      guard let margin = try r.optionalDouble("margin"), margin > 0 else {
        throw r.error("margin", "plateau needs a positive margin: how far apart two points may be and count as flat")
      }
      rule = .plateau(x: try r.string("x"), metric: try r.string("metric"), range: range, margin: margin)
    case "less_variable":
      try r.checkKeys(common + ["metric", "a", "b"])
      rule = .lessVariable(
        metric: try r.string("metric"), a: try Self.coordinates(r, "a"), b: try Self.coordinates(r, "b"))
    case "monotone":
      try r.checkKeys(common + ["x", "metric", "direction", "until"])
      guard let direction = try Self.parseEnum(Trend.self, r.string("direction"), "direction", r) else {
        throw r.error("direction", "missing required key 'direction'")
      }
      let until = r.map["until"].flatMap { $0 == .null ? nil : $0 }
      rule = .monotone(x: try r.string("x"), metric: try r.string("metric"), direction: direction, until: until)
    case "most_stable":
      try r.checkKeys(common + ["x", "metric", "expected"])
      rule = .mostStable(x: try r.string("x"), metric: try r.string("metric"), expected: try r.required("expected"))
    case "all":
      try r.checkKeys(common + ["checks"])
      let list = try r.optionalList("checks") ?? []
      if list.isEmpty { throw r.error("checks", "expected a non-empty list of checks") }
      var checks: [ClaimCheck] = []
      for (i, item) in list.enumerated() {
        checks.append(try ClaimCheck(tree: item, path: "\(r.keyPath("checks"))[\(i)]", file: file))
      }
      rule = .all(checks)
    default:
      throw SpecError.unknown("check kind", kind, choices: Self.kinds, file: file, keyPath: r.keyPath("kind"))
    }
    by = try r.optionalStringList("by") ?? []
    filter = try r.optionalMap("where") ?? [:]
  }

  private static func parseEnum<E: RawRepresentable & CaseIterable>(
    _ type: E.Type, _ raw: String?, _ key: String, _ r: MapReader
  ) throws(SpecError) -> E? where E.RawValue == String {
    guard let raw else { return nil }
    guard let value = E(rawValue: raw) else {
      throw SpecError.unknown(key, raw, choices: E.allCases.map(\.rawValue), file: r.file, keyPath: r.keyPath(key))
    }
    return value
  }

  private static func coordinates(_ r: MapReader, _ key: String) throws(SpecError) -> [String: ConfigValue] {
    guard let m = try r.optionalMap(key), !m.isEmpty else {
      throw r.error(key, "expected a non-empty map of sweep coordinates, e.g. {regularizer.name: dropblock}")
    }
    return m
  }

  /// The check as the spec writes it.
  public var tree: ConfigValue {
    var m: [String: ConfigValue] = ["kind": .string(kind)]
    switch rule {
    case .bestIn(let x, let metric, let range, _):
      m["x"] = .string(x)
      m["metric"] = .string(metric)
      m["range"] = .list(range.map(ConfigValue.double))
    case .peakInterior(let x, let metric, let direction):
      m["x"] = .string(x)
      m["metric"] = .string(metric)
      if let direction { m["direction"] = .string(direction.rawValue) }
    case .betterThan(let metric, let a, let b, let margin):
      m["metric"] = .string(metric)
      m["a"] = .map(a)
      m["b"] = .map(b)
      m["margin"] = .double(margin)
    case .notBetterThan(let metric, let a, let b, let margin), .equivalent(let metric, let a, let b, let margin):
      m["metric"] = .string(metric)
      m["a"] = .map(a)
      m["b"] = .map(b)
      m["margin"] = .double(margin)
    case .lessVariable(let metric, let a, let b):
      m["metric"] = .string(metric)
      m["a"] = .map(a)
      m["b"] = .map(b)
    case .atLeast(let metric, let value):
      m["metric"] = .string(metric)
      m["value"] = .double(value)
    case .plateau(let x, let metric, let range, let margin):
      m["x"] = .string(x)
      m["metric"] = .string(metric)
      m["range"] = .list(range.map(ConfigValue.double))
      m["margin"] = .double(margin)
    case .monotone(let x, let metric, let direction, let until):
      m["x"] = .string(x)
      m["metric"] = .string(metric)
      m["direction"] = .string(direction.rawValue)
      if let until { m["until"] = until }
    case .mostStable(let x, let metric, let expected):
      m["x"] = .string(x)
      m["metric"] = .string(metric)
      m["expected"] = expected
    case .all(let checks):
      m["checks"] = .list(checks.map(\.tree))
    }
    if !by.isEmpty { m["by"] = .list(by.map(ConfigValue.string)) }
    if !filter.isEmpty { m["where"] = .map(filter) }
    return .map(m)
  }

  public init(from decoder: Decoder) throws {
    let tree = try ConfigValue(from: decoder)
    do {
      try self.init(tree: tree, path: "check", file: "")
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
  }

  public func encode(to encoder: Encoder) throws { try tree.encode(to: encoder) }
}

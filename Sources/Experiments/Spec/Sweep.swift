import Foundation

/// The grid of an experiment: axes combined as a Cartesian product, the first axis varying slowest.
/// Keys are dotted paths into the base run config (`regularizer.length`); a value may be a whole map, which
/// replaces the subtree at that key (a list of regularizer maps gives one arm per map).
public struct Sweep: Codable, Sendable, Equatable {
  /// One axis of the grid.
  public enum Axis: Sendable, Equatable {
    /// One key taking each value in turn.
    case values(key: String, values: [ConfigValue])
    /// Several keys stepping together (`zip`): the i-th point sets every key to its i-th value.
    case zip(keys: [String], values: [[ConfigValue]])

    /// The sweep keys this axis sets.
    public var keys: [String] {
      switch self {
      case .values(let key, _): return [key]
      case .zip(let keys, _): return keys
      }
    }

    /// Number of positions along the axis (the shortest list, for a malformed zip).
    public var count: Int {
      switch self {
      case .values(_, let values): return values.count
      case .zip(_, let values): return values.map(\.count).min() ?? 0
      }
    }

    /// Key → value at position `i`.
    func coordinates(at i: Int) -> [(String, ConfigValue)] {
      switch self {
      case .values(let key, let values): return [(key, values[i])]
      case .zip(let keys, let values): return Swift.zip(keys, values.map { $0[i] }).map { ($0, $1) }
      }
    }
  }

  public var axes: [Axis]

  public init(axes: [Axis] = []) { self.axes = axes }

  /// Every sweep key, in axis order.
  public var keys: [String] { axes.flatMap(\.keys) }

  /// The values a key takes, in grid order.
  public func values(of key: String) -> [ConfigValue]? {
    for axis in axes {
      switch axis {
      case .values(let k, let values) where k == key: return values
      case .zip(let keys, let values):
        if let i = keys.firstIndex(of: key) { return values[i] }
      default: continue
      }
    }
    return nil
  }

  /// Replaces the values of an existing key (inside a zip too), or appends a new axis.
  public mutating func setValues(_ values: [ConfigValue], of key: String) {
    for (n, axis) in axes.enumerated() {
      switch axis {
      case .values(let k, _) where k == key:
        axes[n] = .values(key: key, values: values)
        return
      case .zip(let keys, var lists):
        if let i = keys.firstIndex(of: key) {
          lists[i] = values
          axes[n] = .zip(keys: keys, values: lists)
          return
        }
      default: continue
      }
    }
    axes.append(.values(key: key, values: values))
  }

  /// The grid points in order: the first axis varies slowest. An empty sweep has one point, the base config.
  public func points() -> [GridPoint] {
    var result: [GridPoint] = []
    var positions = [Int](repeating: 0, count: axes.count)
    guard axes.allSatisfy({ $0.count > 0 }) else { return [] }
    while true {
      var coordinates: [String: ConfigValue] = [:]
      var labels: [String] = []
      for (axis, i) in zip(axes, positions) {
        let pairs = axis.coordinates(at: i)
        for (key, value) in pairs { coordinates[key] = value }
        labels.append(Self.label(pairs, sharingName: Self.namesUsedTwice(axis)))
      }
      result.append(
        GridPoint(
          coordinates: coordinates, label: labels.isEmpty ? "base" : labels.joined(separator: ", "), index: result.count
        ))
      var axis = axes.count - 1
      while axis >= 0 {
        positions[axis] += 1
        if positions[axis] < axes[axis].count { break }
        positions[axis] = 0
        axis -= 1
      }
      if axis < 0 { return result }
    }
  }

  /// `regularizer.length=8`; a map value is named by its `name` field (`dropblock`), followed by its other
  /// scalar fields when another value of the same axis has the same name (`stochastic-depth survival_last=0.5`).
  static func label(_ pairs: [(String, ConfigValue)], sharingName: Set<String> = []) -> String {
    pairs.map { key, value in
      guard case .map(let m) = value, let name = m["name"]?.description else { return "\(key)=\(value)" }
      guard sharingName.contains(name) else { return name }
      let fields = m.keys.sorted().filter { $0 != "name" && m[$0]?.asMap == nil && m[$0]?.asList == nil }
      return ([name] + fields.map { "\($0)=\(m[$0]!)" }).joined(separator: " ")
    }.joined(separator: ", ")
  }

  /// The `name`s that more than one map value of `axis` carries.
  static func namesUsedTwice(_ axis: Axis) -> Set<String> {
    var seen: Set<String> = []
    var twice: Set<String> = []
    for i in 0..<axis.count {
      for (_, value) in axis.coordinates(at: i) {
        if case .map(let m) = value, let name = m["name"]?.description, !seen.insert(name).inserted {
          twice.insert(name)
        }
      }
    }
    return twice
  }

  /// Parses the spec's `sweep`: a map (`keyOrder` gives its file order; sorted keys otherwise) or a list of
  /// one-key maps, which is how a stored spec keeps the order through JSON. `zip` takes the same two forms.
  init(tree: ConfigValue, keyOrder: [[String]: [String]], path: String, file: String) throws(SpecError) {
    var axes: [Axis] = []
    for (key, value) in try Self.orderedEntries(tree, orderPath: ["sweep"], keyOrder: keyOrder, path: path, file: file)
    {
      if key == "zip" {
        let entries = try Self.orderedEntries(
          value, orderPath: ["sweep", "zip"], keyOrder: keyOrder, path: "\(path).zip", file: file)
        if entries.isEmpty {
          throw SpecError(file: file, keyPath: "\(path).zip", message: "expected a non-empty map of key: [values]")
        }
        var lists: [[ConfigValue]] = []
        for (zipKey, zipValue) in entries {
          lists.append(try Self.list(zipValue, path: "\(path).zip.\(zipKey)", file: file))
        }
        axes.append(.zip(keys: entries.map(\.0), values: lists))
      } else {
        axes.append(.values(key: key, values: try Self.list(value, path: "\(path).\(key)", file: file)))
      }
    }
    self.axes = axes
  }

  private static func list(_ value: ConfigValue, path: String, file: String) throws(SpecError) -> [ConfigValue] {
    guard let list = value.asList else {
      throw SpecError(
        file: file, keyPath: path, message: "expected a list of values, got \(value.typeName) '\(value)'",
        suggestion: "write [\(value)] for a single value")
    }
    return list
  }

  private static func orderedEntries(
    _ tree: ConfigValue, orderPath: [String], keyOrder: [[String]: [String]], path: String, file: String
  ) throws(SpecError) -> [(String, ConfigValue)] {
    switch tree {
    case .null: return []
    case .map(let m):
      let order = keyOrder[orderPath].flatMap { $0.count == m.count ? $0 : nil } ?? m.keys.sorted()
      return order.map { ($0, m[$0]!) }
    case .list(let items):
      var entries: [(String, ConfigValue)] = []
      for (i, item) in items.enumerated() {
        guard let m = item.asMap, m.count == 1, let (key, value) = m.first else {
          throw SpecError(file: file, keyPath: "\(path)[\(i)]", message: "expected a one-key map {key: [values]}")
        }
        entries.append((key, value))
      }
      return entries
    default:
      throw SpecError(file: file, keyPath: path, message: "expected a map of key: [values], got \(tree.typeName)")
    }
  }

  /// The sweep as an order-preserving list of one-key maps.
  var tree: ConfigValue {
    .list(
      axes.map { axis in
        switch axis {
        case .values(let key, let values): return .map([key: .list(values)])
        case .zip(let keys, let values):
          return .map(["zip": .list(Swift.zip(keys, values).map { .map([$0: .list($1)]) })])
        }
      })
  }

  public init(from decoder: Decoder) throws {
    let tree = try ConfigValue(from: decoder)
    do {
      try self.init(tree: tree, keyOrder: [:], path: "sweep", file: "")
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
  }

  public func encode(to encoder: Encoder) throws { try tree.encode(to: encoder) }
}

/// One point of the grid: the sweep coordinates every seed of that point shares.
public struct GridPoint: Codable, Sendable, Hashable {
  /// Sweep key → value at this point.
  public var coordinates: [String: ConfigValue]
  /// Human label, e.g. `regularizer.length=8`, `dropblock`, or the spec's names (`no DropBlock, 5k images`).
  public var label: String
  /// Position in grid order.
  public var index: Int
  /// The label axis by axis, when the spec names its arms (`names:`); empty otherwise.
  public var parts: [LabelPart]

  public init(coordinates: [String: ConfigValue], label: String, index: Int, parts: [LabelPart] = []) {
    self.coordinates = coordinates
    self.label = label
    self.index = index
    self.parts = parts
  }

  enum CodingKeys: String, CodingKey {
    case coordinates, label, index, parts
  }

  // Results from before names decode without parts; points without parts encode as before.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    coordinates = try c.decode([String: ConfigValue].self, forKey: .coordinates)
    label = try c.decode(String.self, forKey: .label)
    index = try c.decode(Int.self, forKey: .index)
    parts = try c.decodeIfPresent([LabelPart].self, forKey: .parts) ?? []
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(coordinates, forKey: .coordinates)
    try c.encode(label, forKey: .label)
    try c.encode(index, forKey: .index)
    if !parts.isEmpty { try c.encode(parts, forKey: .parts) }
  }

  /// True when every given coordinate equals this point's value for that key (a regularizer arm also matches by
  /// its name); `{in: [lo, hi]}` matches a number in the closed range.
  public func matches(_ selection: [String: ConfigValue]) -> Bool {
    Self.coordinates(coordinates, match: selection)
  }

  /// `matches` on bare coordinates.
  static func coordinates(_ coordinates: [String: ConfigValue], match selection: [String: ConfigValue]) -> Bool {
    selection.allSatisfy { key, value in
      let own = Self.value(in: coordinates, at: key)
      if case .map(let m) = value, m.count == 1, case .list(let bounds)? = m["in"], bounds.count == 2,
        let lo = bounds[0].asDouble, let hi = bounds[1].asDouble
      {
        guard let v = own?.asDouble else { return false }
        return v >= lo && v <= hi
      }
      return own == value || own?.asMap?["name"] == value
    }
  }

  /// The point's value at `key`: the coordinate of a sweep key, or a field inside a swept map — `regularizer.k` read
  /// from the `regularizer` axis's `{name: heuristic-dropout, k: 3}` — so a check's `x`, `a`, `b` and `where` can
  /// name a field of arms that a list of maps sweeps. Nil when the point has nothing there (`{name: none}` has no
  /// `k`).
  public func value(at key: String) -> ConfigValue? { Self.value(in: coordinates, at: key) }

  /// `value(at:)` on bare coordinates.
  static func value(in coordinates: [String: ConfigValue], at key: String) -> ConfigValue? {
    if let own = coordinates[key] { return own }
    for (axisKey, map) in coordinates where key.hasPrefix(axisKey + ".") {
      if let inner = map[path: String(key.dropFirst(axisKey.count + 1))] { return inner }
    }
    return nil
  }

  /// The named part of the label along the axis that sets `key`, if the spec names it.
  public func name(along key: String) -> String? {
    parts.first { $0.named && $0.keys.contains { key.isAtOrUnder($0) } }?.text
  }
}

extension String {
  /// Whether this dotted path is `key` or a field under it: `regularizer.k` is under `regularizer`,
  /// `regularizer.kind` is not under `regularizer.k`.
  func isAtOrUnder(_ key: String) -> Bool { self == key || hasPrefix(key + ".") }
}

/// One axis's share of a point's label: its name (`named`), or the values as written (`regularizer.rate=0.1`).
public struct LabelPart: Codable, Sendable, Hashable {
  /// The sweep keys of the axis.
  public var keys: [String]
  public var text: String
  public var named: Bool

  public init(keys: [String], text: String, named: Bool) {
    self.keys = keys
    self.text = text
    self.named = named
  }
}

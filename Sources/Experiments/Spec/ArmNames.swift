import Foundation

/// Human names of a spec's arms (`names:`), e.g. "no DropBlock" or "DropBlock 0.1 on blocks 2–3": what every table,
/// figure and verdict line calls a grid point. Display only: a name never enters a run config, a cache key or a
/// check, so renaming an arm retrains nothing.
///
/// Written per sweep axis, one name per value in the sweep's order (a zip: one per position), optionally with the
/// axis's own human name (`title`, the figure's axis label):
/// ```yaml
/// names:
///   regularizer: [no regularization, Cutout 14 px, CutMix]
///   zip: [no DropBlock, DropBlock 0.1 after stages 2–3]
///   model.blocks: {title: tree depth, values: [1 level, 2 levels, 4 levels]}
/// ```
/// A point's name joins its axes' names in the order `names` lists them, then any axis without names as before
/// (`regularizer.rate=0.3`). Each name is bound to its value when the spec is read — a value as written (a whole
/// regularizer map, so "dropout 0.5" never names a dropout at another rate), a zip position by the fewest of its
/// keys that tell it apart (so "5k images" names the 5,000-image position whatever epochs a scale gives it) — and a
/// scale that sweeps other values keeps the names of the values it shares. Results JSON stores the bound form,
/// which a spec may also write: `names: [{axis: regularizer, title: method, names: [{match: {regularizer: none},
/// name: no regularization}]}]` (a `match` is a check's selector: a value, a method name, `{in: [lo, hi]}`).
public struct ArmNames: Sendable, Equatable {
  /// One name and the sweep coordinates it names.
  public struct Entry: Sendable, Equatable {
    public var match: [String: ConfigValue]
    public var name: String

    public init(match: [String: ConfigValue], name: String) {
      self.match = match
      self.name = name
    }
  }

  /// The names of one sweep axis.
  public struct Axis: Sendable, Equatable {
    /// The axis as the spec writes it: one of its sweep keys, or `zip`.
    public var axis: String
    /// The axis's human name, e.g. "patch length": the figure's axis label when `report.x_label` gives none.
    public var title: String?
    public var entries: [Entry]

    public init(axis: String, title: String? = nil, entries: [Entry]) {
      self.axis = axis
      self.title = title
      self.entries = entries
    }
  }

  public var axes: [Axis]

  public init(axes: [Axis]) { self.axes = axes }

  /// The sweep axis a names entry is written for: the zip for `zip`, else the axis that sets `written`.
  static func sweepAxis(_ written: String, in sweep: Sweep) -> Sweep.Axis? {
    if written == "zip" {
      return sweep.axes.first { if case .zip = $0 { true } else { false } }
    }
    return sweep.axes.first { $0.keys.contains(written) }
  }

  /// The name of the point at `coordinates` along `axis` (the first entry whose selector it matches), if any.
  func name(of coordinates: [String: ConfigValue], on axis: Axis) -> String? {
    axis.entries.first { GridPoint.coordinates(coordinates, match: $0.match) }?.name
  }

  /// The name of a point's position on the sweep axis that sets `key`, if the spec names it.
  public func name(of coordinates: [String: ConfigValue], key: String, sweep: Sweep) -> String? {
    guard let sweepAxis = sweep.axes.first(where: { $0.keys.contains(key) }) else { return nil }
    for axis in axes where Self.sweepAxis(axis.axis, in: sweep) == sweepAxis {
      return name(of: coordinates, on: axis)
    }
    return nil
  }

  /// The human name of the sweep axis that sets `key`, if the spec gives one.
  public func title(of key: String, sweep: Sweep) -> String? {
    guard let sweepAxis = sweep.axes.first(where: { $0.keys.contains(key) }) else { return nil }
    return axes.first { Self.sweepAxis($0.axis, in: sweep) == sweepAxis }?.title
  }

  /// A point's label, part by part: the named axes in the order `names` lists them, then the sweep's other axes in
  /// sweep order; `text` writes an axis the names do not cover (or a value no name matches).
  public func parts(
    of coordinates: [String: ConfigValue], sweep: Sweep, text: (Sweep.Axis) -> String
  ) -> [LabelPart] {
    var used: [Sweep.Axis] = []
    var parts: [LabelPart] = []
    for axis in axes {
      guard let sweepAxis = Self.sweepAxis(axis.axis, in: sweep), !used.contains(sweepAxis) else { continue }
      used.append(sweepAxis)
      let name = self.name(of: coordinates, on: axis)
      parts.append(LabelPart(keys: sweepAxis.keys, text: name ?? text(sweepAxis), named: name != nil))
    }
    for sweepAxis in sweep.axes where !used.contains(sweepAxis) {
      parts.append(LabelPart(keys: sweepAxis.keys, text: text(sweepAxis), named: false))
    }
    return parts
  }
}

// MARK: - Reading and writing

extension ArmNames {
  /// Parses `names`: the authoring map (`<sweep key or zip>: [names]` or `{title, values}`), bound here against
  /// `sweep`, or the stored list of bound entries.
  init(tree: ConfigValue, keyOrder: [[String]: [String]], sweep: Sweep, file: String) throws(SpecError) {
    switch tree {
    case .null:
      axes = []
    case .list(let items):
      axes = []
      for (i, item) in items.enumerated() {
        let r = try MapReader(item, path: "names[\(i)]", file: file)
        try r.checkKeys(["axis", "title", "names"])
        var entries: [Entry] = []
        for (j, value) in (try r.optionalList("names") ?? []).enumerated() {
          let e = try MapReader(value, path: "names[\(i)].names[\(j)]", file: file)
          try e.checkKeys(["match", "name"])
          guard let match = try e.optionalMap("match"), !match.isEmpty else {
            throw e.error("match", "expected a non-empty map of sweep coordinates, e.g. {regularizer: none}")
          }
          entries.append(Entry(match: match, name: try Self.name(e.map["name"], at: e.keyPath("name"), file: file)))
        }
        axes.append(Axis(axis: try r.string("axis"), title: try r.optionalString("title"), entries: entries))
      }
    case .map(let m):
      let order = keyOrder[["names"]].flatMap { Set($0) == Set(m.keys) ? $0 : nil } ?? m.keys.sorted()
      axes = []
      var seen: [Sweep.Axis] = []
      for key in order {
        let path = "names.\(key)"
        guard let sweepAxis = Self.sweepAxis(key, in: sweep) else {
          let choices = sweep.keys + (sweep.axes.contains { if case .zip = $0 { true } else { false } } ? ["zip"] : [])
          throw SpecError(
            file: file, keyPath: path, message: "'\(key)' is not a sweep key of this spec",
            suggestion: "name the values of one of: \(choices.joined(separator: ", "))")
        }
        if seen.contains(sweepAxis) {
          throw SpecError(
            file: file, keyPath: path, message: "this axis (\(sweepAxis.keys.joined(separator: ", "))) is named twice",
            suggestion: "keep one entry per axis; a zip is named once, by `zip` or any one of its keys")
        }
        seen.append(sweepAxis)
        var title: String?
        var list: [ConfigValue]?
        switch m[key]! {
        case .list(let items): list = items
        case .map:
          let r = try MapReader(m[key]!, path: path, file: file)
          try r.checkKeys(["title", "values"])
          title = try r.optionalString("title")
          list = try r.optionalList("values")
        default:
          throw SpecError(
            file: file, keyPath: path, message: "expected a list of names, got \(m[key]!.typeName) '\(m[key]!)'",
            suggestion: "write one name per value in the sweep's order, or {title: <axis name>, values: [names]}")
        }
        var entries: [Entry] = []
        if let list {
          let what = key == "zip" || sweepAxis.keys.count > 1 ? "positions of the zip" : "values of \(key)"
          guard list.count == sweepAxis.count else {
            throw SpecError(
              file: file, keyPath: path, message: "\(list.count) names for the \(sweepAxis.count) \(what)",
              suggestion: "give one name per value, in the sweep's order")
          }
          for (i, item) in list.enumerated() {
            let name = try Self.name(item, at: "\(path)[\(i)]", file: file)
            entries.append(Entry(match: Self.selector(position: i, of: sweepAxis), name: name))
          }
        }
        axes.append(Axis(axis: key, title: title, entries: entries))
      }
    default:
      throw SpecError(
        file: file, keyPath: "names", message: "expected a map of sweep key: [names], got \(tree.typeName)",
        suggestion: "e.g. names: {regularizer.rate: [no dropout, dropout 0.5]}")
    }
  }

  private static func name(_ value: ConfigValue?, at path: String, file: String) throws(SpecError) -> String {
    guard let value, value != .null else {
      throw SpecError(file: file, keyPath: path, message: "missing name")
    }
    // A bare number or word is a fine name (`names: {model.blocks: [1, 2, 4]}`); a list or map is a mistake.
    let text: String
    switch value {
    case .string(let s): text = s
    case .int, .double, .bool: text = value.description
    default: throw SpecError(file: file, keyPath: path, message: "expected a name, got \(value.typeName) '\(value)'")
    }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw SpecError(file: file, keyPath: path, message: "a name cannot be empty") }
    return trimmed
  }

  /// The bound form: a list of `{axis, title, names: [{match, name}]}` in join order.
  var tree: ConfigValue {
    .list(
      axes.map { axis in
        var m: [String: ConfigValue] = [
          "axis": .string(axis.axis),
          "names": .list(axis.entries.map { .map(["match": .map($0.match), "name": .string($0.name)]) }),
        ]
        if let title = axis.title { m["title"] = .string(title) }
        return .map(m)
      })
  }

  /// The selector that binds the name of position `i` of `axis` to its values: each key's value as written, and of
  /// a zip's keys the fewest (first in key order) that select exactly this position. A map is matched whole, not
  /// by its `name`: a name that states a parameter ("dropout 0.5") must not follow the method to another setting.
  static func selector(position i: Int, of axis: Sweep.Axis) -> [String: ConfigValue] {
    let rows = (0..<axis.count).map { Dictionary(axis.coordinates(at: $0), uniquingKeysWith: { a, _ in a }) }
    func keySelector(_ key: String) -> ConfigValue { rows[i][key]! }
    let target = (0..<rows.count).filter { rows[$0] == rows[i] }
    let keys = axis.keys
    for size in 1...max(1, keys.count) {
      for subset in combinations(of: keys, size: size) {
        let selector = Dictionary(uniqueKeysWithValues: subset.map { ($0, keySelector($0)) })
        if (0..<rows.count).filter({ GridPoint.coordinates(rows[$0], match: selector) }) == target { return selector }
      }
    }
    return rows[i]
  }

  /// The `size`-element subsets of `items`, in lexicographic order of their positions.
  private static func combinations(of items: [String], size: Int) -> [[String]] {
    guard size > 0, size <= items.count else { return size == 0 ? [[]] : [] }
    if size == items.count { return [items] }
    let head = items[0]
    let rest = Array(items.dropFirst())
    return combinations(of: rest, size: size - 1).map { [head] + $0 } + combinations(of: rest, size: size)
  }
}

// MARK: - Validation

extension ExperimentSpec {
  /// Checks the names against the spec's own grid: every name names a value of its axis, no value takes two names,
  /// no two values of an axis share one, and no two grid points read alike. (A scale that sweeps other values is
  /// not checked: a value no name covers keeps its written label.)
  func validateNames() throws(SpecError) {
    guard let names else { return }
    for axis in names.axes {
      let path = "names.\(axis.axis)"
      guard let sweepAxis = ArmNames.sweepAxis(axis.axis, in: sweep) else {
        throw SpecError(
          file: sourceFile, keyPath: path, message: "'\(axis.axis)' is not a sweep key of this spec",
          suggestion: "sweep keys: \(sweep.keys.joined(separator: ", "))")
      }
      let positions = (0..<sweepAxis.count).map {
        Dictionary(sweepAxis.coordinates(at: $0), uniquingKeysWith: { a, _ in a })
      }
      func text(_ i: Int) -> String {
        Sweep.label(sweepAxis.coordinates(at: i), sharingName: Sweep.namesUsedTwice(sweepAxis))
      }
      for entry in axis.entries {
        if let stray = entry.match.keys.sorted().first(where: { !sweepAxis.keys.contains($0) }) {
          throw SpecError(
            file: sourceFile, keyPath: path,
            message: "'\(entry.name)' matches on \(stray), which is not a key of this axis",
            suggestion: "match on \(sweepAxis.keys.joined(separator: ", "))")
        }
        if !positions.contains(where: { GridPoint.coordinates($0, match: entry.match) }) {
          throw SpecError(
            file: sourceFile, keyPath: path,
            message: "'\(entry.name)' matches no value of the sweep (\(ConfigValue.map(entry.match)))",
            suggestion: "values: " + positions.indices.map(text).joined(separator: "; "))
        }
      }
      var named: [String: Int] = [:]
      for i in positions.indices {
        let matching = axis.entries.filter { GridPoint.coordinates(positions[i], match: $0.match) }
        if matching.count > 1 {
          throw SpecError(
            file: sourceFile, keyPath: path,
            message: "'\(matching[0].name)' and '\(matching[1].name)' both name \(text(i))",
            suggestion: "match each value by one name only")
        }
        guard let name = matching.first?.name else { continue }
        if let other = named[name], positions[other] != positions[i] {
          throw SpecError(
            file: sourceFile, keyPath: path, message: "'\(name)' names two values: \(text(other)) and \(text(i))",
            suggestion: "give each value its own name")
        }
        named[name] = i
      }
    }
    var seen: [String: GridPoint] = [:]
    for point in points() {
      if let other = seen[point.label], other.coordinates != point.coordinates {
        let axis = sweep.axes.first { a in a.keys.contains { other.coordinates[$0] != point.coordinates[$0] } }
        throw SpecError(
          file: sourceFile, keyPath: "names", message: "two grid points read '\(point.label)'",
          suggestion: "name the axis that tells them apart (\(axis?.keys.joined(separator: ", ") ?? "?"))")
      }
      seen[point.label] = point
    }
  }

  /// The grid points in grid order, labelled with the spec's names (`names:`) where it gives them.
  public func points() -> [GridPoint] {
    let raw = sweep.points()
    guard let names, !names.axes.isEmpty else { return raw }
    return raw.map { point in
      var named = point
      named.parts = names.parts(of: point.coordinates, sweep: sweep) { axis in
        Sweep.label(axis.keys.map { ($0, point.coordinates[$0] ?? .null) }, sharingName: Sweep.namesUsedTwice(axis))
      }
      named.label = named.parts.map(\.text).joined(separator: ", ")
      return named
    }
  }
}

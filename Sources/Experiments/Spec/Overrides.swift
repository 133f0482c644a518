import Foundation

/// A Hydra-style `--set key=value` override. The value is read as YAML (`3`, `5e-4`, `[0, 1]`, `{name: none}`).
/// Paths: `seeds`, `sweep.<sweep key>` (or `sweep.zip.<key>` inside a zip), and dotted paths into the base
/// config (`train.lr`, optionally written `base.train.lr`). Without `+` the key must already exist and the new
/// value must have the same type (an integer may replace a number); `+key=value` adds a key.
public struct Override: Sendable, Equatable, CustomStringConvertible {
  public var key: String
  public var value: ConfigValue
  /// Written `+key=value`: the key may be new.
  public var adds: Bool

  public init(key: String, value: ConfigValue, adds: Bool = false) {
    self.key = key
    self.value = value
    self.adds = adds
  }

  public var description: String { "\(adds ? "+" : "")\(key)=\(value)" }

  /// Parses `key=value` or `+key=value`.
  public static func parse(_ text: String) throws(SpecError) -> Override {
    guard let equals = text.firstIndex(of: "=") else {
      throw SpecError(
        file: "--set", keyPath: text, message: "expected key=value", suggestion: "e.g. --set train.epochs=3")
    }
    var key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    let raw = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    let adds = key.hasPrefix("+")
    if adds { key.removeFirst() }
    guard !key.isEmpty, !key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
      throw SpecError(file: "--set", keyPath: key, message: "invalid key in '\(text)'", suggestion: "e.g. train.lr=0.1")
    }
    let structured = raw.first.map { "[{\"'".contains($0) } ?? false
    if !structured, raw.contains(",") {
      throw SpecError(
        file: "--set", keyPath: key, message: "unquoted comma in '\(raw)'; sweeps are not expressed with commas",
        suggestion: "write a list: \(key)=[\(raw)], or quote a string: \(key)='\(raw)'")
    }
    var value: ConfigValue
    do throws(SpecError) {
      value = try ConfigValue.parseYAML(raw, file: "--set")
    } catch {
      throw SpecError(file: "--set", keyPath: key, message: error.message)
    }
    // `a: b` is a YAML mapping, but nobody writing --set key=a: b means one.
    if !structured, value.asMap != nil || value.asList != nil { value = .string(raw) }
    return Override(key: key, value: value, adds: adds)
  }
}

extension ExperimentSpec {
  static let baseSections = ["dataset", "model", "regularizer", "train", "eval"]

  /// The spec with a named scale's overrides applied (`default` may be absent, meaning no change).
  /// A scale may add keys that the base does not set.
  public func applying(scale: String) throws(SpecError) -> ExperimentSpec {
    guard let overrides = scales[scale] else {
      if scale == "default" { return self }
      throw SpecError.unknown(
        "scale", scale, choices: Array(Set(scales.keys).union(["default"])), file: sourceFile, keyPath: "scales")
    }
    var spec = self
    let entries = overrides.asMap ?? [:]
    // Sorted, so a parent key (`train`) is applied before its children (`train.epochs`).
    for key in entries.keys.sorted() {
      try spec.set(key, to: entries[key]!, adds: true, file: sourceFile, errorPath: "scales.\(scale).\(key)")
    }
    return spec
  }

  /// The spec with command-line overrides applied in order.
  public func applying(_ overrides: [Override]) throws(SpecError) -> ExperimentSpec {
    var spec = self
    for override in overrides {
      try spec.set(override.key, to: override.value, adds: override.adds, file: "--set", errorPath: override.key)
    }
    return spec
  }

  private mutating func set(
    _ key: String, to value: ConfigValue, adds: Bool, file: String, errorPath: String
  ) throws(SpecError) {
    if key == "seeds" {
      seeds = try Self.parseSeeds(value, path: errorPath, file: file)
      return
    }
    if key.hasPrefix("sweep.") {
      var sweepKey = String(key.dropFirst("sweep.".count))
      if sweepKey.hasPrefix("zip.") { sweepKey.removeFirst("zip.".count) }
      guard let list = value.asList else {
        throw SpecError(
          file: file, keyPath: errorPath, message: "expected a list of values, got \(value.typeName) '\(value)'",
          suggestion: "e.g. \(key)=[0, 4, 8]")
      }
      if sweep.values(of: sweepKey) == nil, !adds {
        throw SpecError(
          file: file, keyPath: errorPath, message: "'\(sweepKey)' is not a sweep key of this spec",
          suggestion: "use +\(key)=… to add an axis; sweep keys: \(sweep.keys.joined(separator: ", "))")
      }
      sweep.setValues(list, of: sweepKey)
      return
    }
    let path = key.hasPrefix("base.") ? String(key.dropFirst("base.".count)) : key
    // A command-line value for a key the sweep sets would be overwritten at every grid point: refuse it rather than
    // ignore it silently. (A scale may set such keys: its values are the spec author's.)
    if file == "--set",
      let swept = sweep.keys.first(where: { $0 == path || $0.hasPrefix(path + ".") || path.hasPrefix($0 + ".") })
    {
      let values = (sweep.values(of: swept) ?? []).map(\.description).joined(separator: ", ")
      throw SpecError(
        file: file, keyPath: errorPath,
        message: "'\(swept)' is set by this spec's sweep ([\(values)]), which would override --set at every point",
        suggestion: "set the sweep instead: --set sweep.\(swept)=[…]")
    }
    let section = String(path.prefix { $0 != "." })
    guard Self.baseSections.contains(section) else {
      throw SpecError(
        file: file, keyPath: errorPath, message: "cannot override '\(key)'",
        suggestion: "overridable: seeds, sweep.<key>, " + Self.baseSections.map { "\($0).*" }.joined(separator: ", "))
    }
    guard let existing = base[path: path] else {
      guard adds else {
        throw SpecError(
          file: file, keyPath: errorPath, message: "'\(path)' is not set in the spec",
          suggestion: "use +\(key)=\(value) to add it")
      }
      base[path: path] = value
      return
    }
    base[path: path] = try Self.typeChecked(value, replacing: existing, file: file, keyPath: errorPath)
  }

  /// The new value if it has the type of the one it replaces; an integer widens to a number.
  static func typeChecked(
    _ value: ConfigValue, replacing existing: ConfigValue, file: String, keyPath: String
  ) throws(SpecError) -> ConfigValue {
    switch (existing, value) {
    case (.null, _), (_, .null): return value
    case (.double, .int(let i)): return .double(Double(i))
    case (.int, .double(let d)) where Int(exactly: d) != nil: return .int(Int(exactly: d)!)
    case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string), (.list, .list), (.map, .map):
      return value
    default:
      throw SpecError(
        file: file, keyPath: keyPath, message: "expected \(existing.typeName), got \(value.typeName) '\(value)'",
        suggestion: "the spec has \(existing)")
    }
  }
}

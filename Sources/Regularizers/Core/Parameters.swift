/// A regularizer parameter as written in a spec or a `--set` override.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
  case double(Double)
  case int(Int)
  case string(String)
  case bool(Bool)

  /// The value as a real number: doubles, and integers (a spec may write `rate: 0` for `rate: 0.0`).
  public var doubleValue: Double? {
    switch self {
    case .double(let v): v
    case .int(let v): Double(v)
    default: nil
    }
  }

  /// The value as an integer: integers, and doubles with no fractional part (`length: 8.0`).
  public var intValue: Int? {
    switch self {
    case .int(let v): return v
    case .double(let v):
      guard v.isFinite, v.rounded() == v, abs(v) < 0x1p62 else { return nil }
      return Int(v)
    default: return nil
    }
  }

  public var stringValue: String? {
    if case .string(let v) = self { v } else { nil }
  }

  public var boolValue: Bool? {
    if case .bool(let v) = self { v } else { nil }
  }

  public var description: String {
    switch self {
    case .double(let v): "\(v)"
    case .int(let v): "\(v)"
    case .string(let v): "\"\(v)\""
    case .bool(let v): "\(v)"
    }
  }
}

/// The type and valid range of one parameter.
public enum ParameterKind: Sendable, Hashable {
  case double(min: Double, max: Double, minInclusive: Bool, maxInclusive: Bool)
  case int(min: Int, max: Int?)
  case choice([String])
  case bool

  /// The valid values in words, as used in validation messages: "in [0, 1)", "an integer ≥ 1", "one of fixed, linear".
  public var range: String {
    switch self {
    case .double(let lo, let hi, let loIn, let hiIn):
      if hi == .infinity { return "a number \(loIn ? "≥" : ">") \(lo)" }
      return "a number in \(loIn ? "[" : "(")\(lo), \(hi)\(hiIn ? "]" : ")")"
    case .int(let lo, let hi):
      if let hi { return "an integer in [\(lo), \(hi)]" }
      return "an integer ≥ \(lo)"
    case .choice(let options): return "one of \(options.joined(separator: ", "))"
    case .bool: return "true or false"
    }
  }

  /// The value normalised to this kind (`.int` for integers, `.double` for reals), or nil when it does not fit.
  func accept(_ value: ParameterValue) -> ParameterValue? {
    switch self {
    case .double(let lo, let hi, let loIn, let hiIn):
      guard let v = value.doubleValue, v.isFinite else { return nil }
      let aboveMin = loIn ? v >= lo : v > lo
      let belowMax = hiIn ? v <= hi : v < hi
      return aboveMin && belowMax ? .double(v) : nil
    case .int(let lo, let hi):
      guard let v = value.intValue, v >= lo, v <= (hi ?? .max) else { return nil }
      return .int(v)
    case .choice(let options):
      guard let v = value.stringValue, options.contains(v) else { return nil }
      return .string(v)
    case .bool:
      guard let v = value.boolValue else { return nil }
      return .bool(v)
    }
  }
}

/// One spec parameter of a regularizer: its name in the spec, its kind and range, its default and what it means.
public struct ParameterDescription: Sendable {
  public let name: String
  public let kind: ParameterKind
  public let defaultValue: ParameterValue
  public let doc: String
  /// Added after results of the method were stored: left out of a run's config tree at its default, so those
  /// runs keep their cache keys (see `ParameterSpec.omittedAtDefault`).
  public let omittedAtDefault: Bool

  public init(
    name: String, kind: ParameterKind, defaultValue: ParameterValue, doc: String, omittedAtDefault: Bool = false
  ) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.doc = doc
    self.omittedAtDefault = omittedAtDefault
  }
}

/// Typed reads of parameters that were validated and filled with defaults (see `RegularizerDescriptor.resolve`).
extension [String: ParameterValue] {
  func double(_ name: String) -> Double { self[name]!.doubleValue! }
  func int(_ name: String) -> Int { self[name]!.intValue! }
  func string(_ name: String) -> String { self[name]!.stringValue! }
  func bool(_ name: String) -> Bool { self[name]!.boolValue! }
}

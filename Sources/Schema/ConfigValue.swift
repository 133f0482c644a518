import Foundation

/// A configuration value as written in a spec: the JSON data model, with integers kept apart from doubles.
///
/// Numbers compare numerically: `.int(1) == .double(1.0)`. A JSON round trip cannot always tell `1` from `1.0`,
/// and a grid point must still match the run that was recorded for it.
public indirect enum ConfigValue: Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case list([ConfigValue])
  case map([String: ConfigValue])
}

extension ConfigValue: Hashable {
  public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.int(let a), .int(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Int(exactly: b) == a
    case (.string(let a), .string(let b)): return a == b
    case (.list(let a), .list(let b)): return a == b
    case (.map(let a), .map(let b)): return a == b
    default: return false
    }
  }

  public func hash(into hasher: inout Hasher) {
    switch self {
    case .null: hasher.combine(0)
    case .bool(let b): hasher.combine(b)
    // Both number cases hash as Double so that numerically equal values hash alike.
    case .int(let i): hasher.combine(Double(i))
    case .double(let d): hasher.combine(d)
    case .string(let s): hasher.combine(s)
    case .list(let l): hasher.combine(l)
    case .map(let m): hasher.combine(m)
    }
  }
}

extension ConfigValue: Codable {
  /// Decodes any JSON value; objects become `.map`, arrays `.list`.
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? container.decode(Int.self) {
      self = .int(i)
    } else if let d = try? container.decode(Double.self) {
      self = .double(d)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let l = try? container.decode([ConfigValue].self) {
      self = .list(l)
    } else {
      self = .map(try container.decode([String: ConfigValue].self))
    }
  }

  /// Encodes as a plain JSON value (a map as an object; use `.sortedKeys` for a stable key order).
  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let b): try container.encode(b)
    case .int(let i): try container.encode(i)
    case .double(let d): try container.encode(d)
    case .string(let s): try container.encode(s)
    case .list(let l): try container.encode(l)
    case .map(let m): try container.encode(m)
    }
  }
}

extension ConfigValue {
  /// The value as a Double when it is a number.
  public var asDouble: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }

  /// The value as an Int when it is an integer (or a double with an integral value).
  public var asInt: Int? {
    switch self {
    case .int(let i): return i
    case .double(let d): return Int(exactly: d)
    default: return nil
    }
  }

  /// The value when it is a string.
  public var asString: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value when it is a boolean.
  public var asBool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The elements when the value is a list.
  public var asList: [ConfigValue]? {
    if case .list(let l) = self { return l }
    return nil
  }

  /// The entries when the value is a map.
  public var asMap: [String: ConfigValue]? {
    if case .map(let m) = self { return m }
    return nil
  }

  /// A word for the value's type, used in error messages ("expected a number, got a string").
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .int: return "an integer"
    case .double: return "a number"
    case .string: return "a string"
    case .list: return "a list"
    case .map: return "a map"
    }
  }

  /// The value at a dotted path of map keys (`value[path: "train.lr"]`); nil when any part is missing.
  /// Setting creates intermediate maps; setting nil removes the key.
  public subscript(path path: String) -> ConfigValue? {
    get { self[components: path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)] }
    set { self[components: path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)] = newValue }
  }

  /// The value at a path given as separate map keys (for keys that themselves contain dots).
  public subscript(components components: [String]) -> ConfigValue? {
    get {
      guard let first = components.first else { return self }
      guard case .map(let m) = self, let child = m[first] else { return nil }
      return child[components: Array(components.dropFirst())]
    }
    set {
      guard let first = components.first else {
        self = newValue ?? .null
        return
      }
      var m = asMap ?? [:]
      if components.count == 1 {
        m[first] = newValue
      } else {
        var child = m[first] ?? .map([:])
        if child.asMap == nil { child = .map([:]) }
        child[components: Array(components.dropFirst())] = newValue
        m[first] = child
      }
      self = .map(m)
    }
  }
}

extension ConfigValue: CustomStringConvertible {
  /// A short human label: `0.5`, `dropblock`, `[1, 2]`, `{name: cutout, length: 8}` (keys sorted). A whole-number
  /// double reads as the integer (`0`, not `0.0`), as it does after a JSON round trip (stored results decode `0.0`
  /// as `0`): the labels of a fresh run and of the report regenerated from its stored results are the same text.
  public var description: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return String(b)
    case .int(let i): return String(i)
    case .double(let d):
      if d.isFinite, d.rounded() == d, abs(d) < 0x1p53 { return String(Int(d)) }
      return d.description
    case .string(let s): return s
    case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
    case .map(let m):
      return "{" + m.keys.sorted().map { "\($0): \(m[$0]!.description)" }.joined(separator: ", ") + "}"
    }
  }
}

extension ConfigValue {
  /// A byte-stable JSON text: keys sorted, no whitespace, integers as integers and doubles in Swift's shortest
  /// round-trip form, so equal configs give equal bytes (the Runner hashes this for cache keys).
  /// Non-finite doubles, which JSON cannot hold, are written as the strings "nan", "inf" and "-inf".
  public var canonicalJSON: String {
    var out = ""
    writeCanonical(into: &out)
    return out
  }

  private func writeCanonical(into out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if d.isNaN {
        out += "\"nan\""
      } else if d.isInfinite {
        out += d > 0 ? "\"inf\"" : "\"-inf\""
      } else {
        out += d.description
      }
    case .string(let s): Self.writeJSONString(s, into: &out)
    case .list(let l):
      out += "["
      for (i, element) in l.enumerated() {
        if i > 0 { out += "," }
        element.writeCanonical(into: &out)
      }
      out += "]"
    case .map(let m):
      out += "{"
      for (i, key) in m.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        Self.writeJSONString(key, into: &out)
        out += ":"
        m[key]!.writeCanonical(into: &out)
      }
      out += "}"
    }
  }

  private static func writeJSONString(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}

/// Literals, so code and tests can write `["regularizer.name": "dropblock", "rate": 0.1]`.
/// (No nil literal: `value[path: p] = nil` must keep meaning "remove the key".)
extension ConfigValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: ConfigValue...) { self = .list(elements) }
  public init(dictionaryLiteral elements: (String, ConfigValue)...) {
    self = .map(Dictionary(elements) { _, last in last })
  }
}

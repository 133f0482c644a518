import NumberFormat
/// The type and valid range of one parameter of a model or a method.
public enum ParameterKind: Sendable, Hashable {
  /// A real number; nil bounds are open-ended.
  case double(min: Double?, max: Double?, minInclusive: Bool, maxInclusive: Bool)
  /// An integer within inclusive bounds; nil bounds are open-ended.
  case int(min: Int?, max: Int?)
  /// One of a fixed set of strings.
  case choice([String])
  case bool
  case intList
  case doubleList
}

/// One parameter a model or method accepts in a spec: its key, kind and range, default and what it means.
public struct ParameterDescription: Sendable {
  /// The key in the spec (snake_case).
  public let name: String
  public let kind: ParameterKind
  /// Used when the spec omits the key; nil makes the parameter required.
  public let defaultValue: ConfigValue?
  /// One sentence for `dropbench list` and error messages.
  public let doc: String
  /// A parameter added to a method after results were stored: at its default it is left out of the run's config
  /// tree, so every run from before it existed keeps its tree, cache key and `verify` match (the method reads the
  /// default when building).
  public let omittedAtDefault: Bool

  public init(
    name: String, kind: ParameterKind, defaultValue: ConfigValue? = nil, doc: String, omittedAtDefault: Bool = false
  ) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.doc = doc
    self.omittedAtDefault = omittedAtDefault
  }
}

/// Why parameters were refused: the key (relative to the owner's parameters, `rate` or `widths[2]`), a sentence,
/// and, when the key or value given must be one of a fixed set, what was given and the valid choices.
public struct ParameterProblem: Error, Sendable, CustomStringConvertible {
  public var key: String
  public var message: String
  public var given: String? = nil
  public var choices: [String]? = nil
  /// For a missing required parameter: what it means.
  public var doc: String? = nil

  public var description: String { "\(key): \(message)" }
}

extension [ParameterDescription] {
  /// The parameters checked against these descriptions, with defaults filled and types normalised (an integer
  /// given for a real parameter becomes a double), so two runs with the same meaning have the same config tree.
  /// Unknown keys are errors; a parameter declared `omittedAtDefault` is left out at its default. The one checker
  /// of parameters: the spec language resolves with it at plan time, and what it returns reaches the engine.
  public func resolve(_ given: [String: ConfigValue], owner: String) throws(ParameterProblem) -> [String: ConfigValue] {
    let names = map(\.name)
    for key in given.keys.sorted() where !names.contains(key) {
      throw ParameterProblem(
        key: key,
        message: "unknown parameter '\(key)' of \(owner)" + (names.isEmpty ? ", which takes no parameters" : ""),
        given: key, choices: names)
    }
    var resolved: [String: ConfigValue] = [:]
    for parameter in self {
      guard let value = given[parameter.name] ?? parameter.defaultValue else {
        throw ParameterProblem(
          key: parameter.name, message: "missing required parameter '\(parameter.name)' of \(owner)",
          doc: parameter.doc.isEmpty ? nil : parameter.doc)
      }
      if value == .null, parameter.defaultValue == .null {
        resolved[parameter.name] = .null
        continue
      }
      let checked = try parameter.kind.check(value, key: parameter.name)
      if parameter.omittedAtDefault, let d = parameter.defaultValue, checked == (try? parameter.kind.check(d, key: ""))
      {
        continue
      }
      resolved[parameter.name] = checked
    }
    return resolved
  }

  /// `values` with every missing parameter at its default: what a method builds from, since a parameter declared
  /// `omittedAtDefault` is absent from resolved parameters at its default.
  public func filled(_ values: [String: ConfigValue]) -> [String: ConfigValue] {
    var all = values
    for parameter in self where all[parameter.name] == nil { all[parameter.name] = parameter.defaultValue }
    return all
  }
}

extension ParameterKind {
  /// The value normalised to this kind, or the problem with it.
  func check(_ value: ConfigValue, key: String) throws(ParameterProblem) -> ConfigValue {
    func fail(_ message: String, at k: String = key) -> ParameterProblem { ParameterProblem(key: k, message: message) }
    func number(_ v: ConfigValue, at k: String) throws(ParameterProblem) -> Double {
      guard let x = v.asDouble else { throw fail("expected a number, got \(v.typeName) '\(v)'", at: k) }
      return x
    }
    func integer(_ v: ConfigValue, at k: String) throws(ParameterProblem) -> Int {
      guard let n = v.asInt else { throw fail("expected an integer, got \(v.typeName) '\(v)'", at: k) }
      return n
    }
    switch self {
    case .double(let lo, let hi, let loIn, let hiIn):
      let x = try number(value, at: key)
      let aboveLow = lo.map { loIn ? x >= $0 : x > $0 } ?? true
      let belowHigh = hi.map { hiIn ? x <= $0 : x < $0 } ?? true
      if !(aboveLow && belowHigh) || x.isNaN {
        throw fail("must be \(intervalText(lo: lo, hi: hi, loIn: loIn, hiIn: hiIn)), got \(Fmt.plain(x))")
      }
      return .double(x)
    case .int(let lo, let hi):
      let n = try integer(value, at: key)
      if let lo, n < lo {
        throw fail("must be \(intervalText(lo: Double(lo), hi: hi.map(Double.init), loIn: true, hiIn: true)), got \(n)")
      }
      if let hi, n > hi {
        throw fail("must be \(intervalText(lo: lo.map(Double.init), hi: Double(hi), loIn: true, hiIn: true)), got \(n)")
      }
      return .int(n)
    case .choice(let choices):
      guard let s = value.asString else { throw fail("expected a string, got \(value.typeName) '\(value)'") }
      guard choices.contains(s) else {
        throw ParameterProblem(key: key, message: "unknown value '\(s)'", given: s, choices: choices)
      }
      return value
    case .bool:
      guard value.asBool != nil else { throw fail("expected true or false, got \(value.typeName) '\(value)'") }
      return value
    case .intList:
      guard let list = value.asList else { throw fail("expected a list of integers, got \(value.typeName) '\(value)'") }
      var out: [ConfigValue] = []
      for (i, item) in list.enumerated() { out.append(.int(try integer(item, at: "\(key)[\(i)]"))) }
      return .list(out)
    case .doubleList:
      guard let list = value.asList else { throw fail("expected a list of numbers, got \(value.typeName) '\(value)'") }
      var out: [ConfigValue] = []
      for (i, item) in list.enumerated() { out.append(.double(try number(item, at: "\(key)[\(i)]"))) }
      return .list(out)
    }
  }
}

/// Typed reads of resolved parameters (see `[ParameterDescription].resolve`): a real parameter may arrive as an
/// integer after a JSON round trip, and reads as a real all the same.
extension [String: ConfigValue] {
  public func double(_ name: String) -> Double { self[name]!.asDouble! }
  public func int(_ name: String) -> Int { self[name]!.asInt! }
  public func string(_ name: String) -> String { self[name]!.asString! }
  public func bool(_ name: String) -> Bool { self[name]!.asBool! }
  public func ints(_ name: String) -> [Int] { self[name]!.asList!.map { $0.asInt! } }
}

/// "in [0, 1)", "≥ 0", "> 0".
public func intervalText(lo: Double?, hi: Double?, loIn: Bool, hiIn: Bool) -> String {
  switch (lo, hi) {
  case (let lo?, let hi?) where hi == .infinity: return "\(loIn ? "≥" : ">") \(Fmt.plain(lo))"
  case (let lo?, let hi?): return "in \(loIn ? "[" : "(")\(Fmt.plain(lo)), \(Fmt.plain(hi))\(hiIn ? "]" : ")")"
  case (let lo?, nil): return "\(loIn ? "≥" : ">") \(Fmt.plain(lo))"
  case (nil, let hi?): return "\(hiIn ? "≤" : "<") \(Fmt.plain(hi))"
  case (nil, nil): return "a number"
  }
}


import Foundation

/// Reads typed fields out of one map of a spec, with errors that name the file and the full key path.
/// Decoding by hand rather than with `Decodable` is what lets every error say which key, which type, and what
/// the valid keys are.
struct MapReader {
  let map: [String: ConfigValue]
  let path: String
  let file: String

  init(_ value: ConfigValue, path: String, file: String) throws(SpecError) {
    guard case .map(let map) = value else {
      throw SpecError(file: file, keyPath: path, message: "expected a map, got \(value.typeName) '\(value)'")
    }
    self.map = map
    self.path = path
    self.file = file
  }

  func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  func error(_ key: String, _ message: String, suggestion: String? = nil) -> SpecError {
    SpecError(file: file, keyPath: keyPath(key), message: message, suggestion: suggestion)
  }

  /// Rejects any key not in `allowed`, suggesting the nearest allowed key.
  func checkKeys(_ allowed: [String]) throws(SpecError) {
    for key in map.keys.sorted() where !allowed.contains(key) {
      throw SpecError.unknown("key", key, choices: allowed, file: file, keyPath: keyPath(key))
    }
  }

  func required(_ key: String) throws(SpecError) -> ConfigValue {
    guard let value = map[key], value != .null else { throw error(key, "missing required key '\(key)'") }
    return value
  }

  func string(_ key: String) throws(SpecError) -> String {
    try Self.string(try required(key), at: keyPath(key), file: file)
  }

  func optionalString(_ key: String) throws(SpecError) -> String? {
    guard let value = map[key], value != .null else { return nil }
    return try Self.string(value, at: keyPath(key), file: file)
  }

  func int(_ key: String) throws(SpecError) -> Int {
    try Self.int(try required(key), at: keyPath(key), file: file)
  }

  func optionalInt(_ key: String) throws(SpecError) -> Int? {
    guard let value = map[key], value != .null else { return nil }
    return try Self.int(value, at: keyPath(key), file: file)
  }

  func double(_ key: String) throws(SpecError) -> Double {
    try Self.double(try required(key), at: keyPath(key), file: file)
  }

  func optionalDouble(_ key: String) throws(SpecError) -> Double? {
    guard let value = map[key], value != .null else { return nil }
    return try Self.double(value, at: keyPath(key), file: file)
  }

  func optionalBool(_ key: String) throws(SpecError) -> Bool? {
    guard let value = map[key], value != .null else { return nil }
    guard let b = value.asBool else { throw error(key, "expected true or false, got \(value.typeName) '\(value)'") }
    return b
  }

  func optionalList(_ key: String) throws(SpecError) -> [ConfigValue]? {
    guard let value = map[key], value != .null else { return nil }
    guard let list = value.asList else { throw error(key, "expected a list, got \(value.typeName) '\(value)'") }
    return list
  }

  func optionalMap(_ key: String) throws(SpecError) -> [String: ConfigValue]? {
    guard let value = map[key], value != .null else { return nil }
    guard let m = value.asMap else { throw error(key, "expected a map, got \(value.typeName) '\(value)'") }
    return m
  }

  func optionalStringList(_ key: String) throws(SpecError) -> [String]? {
    guard let list = try optionalList(key) else { return nil }
    var out: [String] = []
    for (i, item) in list.enumerated() { out.append(try Self.string(item, at: "\(keyPath(key))[\(i)]", file: file)) }
    return out
  }

  func optionalDoubleList(_ key: String) throws(SpecError) -> [Double]? {
    guard let list = try optionalList(key) else { return nil }
    var out: [Double] = []
    for (i, item) in list.enumerated() { out.append(try Self.double(item, at: "\(keyPath(key))[\(i)]", file: file)) }
    return out
  }

  static func doubleList(_ value: ConfigValue, at path: String, file: String) throws(SpecError) -> [Double] {
    guard case .list(let items) = value else {
      throw SpecError(file: file, keyPath: path, message: "expected a list of numbers, got \(value.typeName) '\(value)'")
    }
    var out: [Double] = []
    for (i, item) in items.enumerated() { out.append(try double(item, at: "\(path)[\(i)]", file: file)) }
    return out
  }

  static func string(_ value: ConfigValue, at path: String, file: String) throws(SpecError) -> String {
    guard let s = value.asString else {
      throw SpecError(file: file, keyPath: path, message: "expected a string, got \(value.typeName) '\(value)'")
    }
    return s
  }

  static func int(_ value: ConfigValue, at path: String, file: String) throws(SpecError) -> Int {
    guard let i = value.asInt else {
      throw SpecError(file: file, keyPath: path, message: "expected an integer, got \(value.typeName) '\(value)'")
    }
    return i
  }

  static func double(_ value: ConfigValue, at path: String, file: String) throws(SpecError) -> Double {
    guard let d = value.asDouble else {
      throw SpecError(file: file, keyPath: path, message: "expected a number, got \(value.typeName) '\(value)'")
    }
    return d
  }
}

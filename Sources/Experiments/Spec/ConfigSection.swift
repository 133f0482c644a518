import NumberFormat
/// One field of a run-config section, written once: its key, its value in the tree (nil: left out of the tree, so
/// configs from before the field existed keep their tree and cache key), and how it is read back from a spec map.
struct ConfigField<Section>: Sendable {
  let key: String
  let encode: @Sendable (Section) -> ConfigValue?
  let decode: @Sendable (inout Section, MapReader) throws(SpecError) -> Void
}

/// A section of a run config (`train`, `eval`) coded through one table of fields: the tree it writes and the map it
/// reads are both the table, so a field is declared once beside its property.
protocol ConfigSection {
  static var fields: [ConfigField<Self>] { get }
  /// The section with every default, the start of decoding (required fields are then read over it).
  static var defaults: Self { get }
}

extension ConfigSection {
  /// The section as a spec-shaped map (snake_case keys, left-out fields omitted).
  var tree: ConfigValue {
    .map(Dictionary(uniqueKeysWithValues: Self.fields.compactMap { f in f.encode(self).map { (f.key, $0) } }))
  }

  /// Decodes a spec map: unknown keys are errors naming the nearest field; absent fields keep their defaults.
  static func decode(_ tree: ConfigValue, path: String, file: String) throws(SpecError) -> Self {
    let r = try MapReader(tree, path: path, file: file)
    try r.checkKeys(fields.map(\.key))
    var section = defaults
    for field in fields { try field.decode(&section, r) }
    return section
  }
}

extension ConfigField {
  /// An integer, required when `required` (else absent keeps the default).
  static func int(_ key: String, _ p: WritableKeyPath<Section, Int> & Sendable, required: Bool = false) -> Self {
    Self(key: key, encode: { .int($0[keyPath: p]) }) { (s, r) throws(SpecError) in
      if required { s[keyPath: p] = try r.int(key) } else if let v = try r.optionalInt(key) { s[keyPath: p] = v }
    }
  }

  /// A string, required (there is no default to keep).
  static func string(_ key: String, _ p: WritableKeyPath<Section, String> & Sendable) -> Self {
    Self(key: key, encode: { .string($0[keyPath: p]) }) { (s, r) throws(SpecError) in s[keyPath: p] = try r.string(key)
    }
  }

  /// An integer left out of the tree when nil.
  static func int(_ key: String, _ p: WritableKeyPath<Section, Int?> & Sendable) -> Self {
    Self(key: key, encode: { $0[keyPath: p].map(ConfigValue.int) }) { (s, r) throws(SpecError) in
      s[keyPath: p] = try r.optionalInt(key)
    }
  }

  /// A real number, required when `required`; with `range`, a value outside it is an error naming the range.
  static func double(
    _ key: String, _ p: WritableKeyPath<Section, Double> & Sendable, required: Bool = false,
    range: (check: @Sendable (Double) -> Bool, text: String)? = nil, omitted: (@Sendable (Double) -> Bool)? = nil
  ) -> Self {
    Self(key: key, encode: { s in omitted?(s[keyPath: p]) == true ? nil : .double(s[keyPath: p]) }) {
      (s, r) throws(SpecError) in
      guard let v = required ? try r.double(key) : try r.optionalDouble(key) else { return }
      if let range, !range.check(v) { throw r.error(key, "must be in \(range.text), got \(Fmt.plain(v))") }
      s[keyPath: p] = v
    }
  }

  /// A real number left out of the tree when nil.
  static func double(_ key: String, _ p: WritableKeyPath<Section, Double?> & Sendable) -> Self {
    Self(key: key, encode: { $0[keyPath: p].map(ConfigValue.double) }) { (s, r) throws(SpecError) in
      s[keyPath: p] = try r.optionalDouble(key)
    }
  }

  static func bool(_ key: String, _ p: WritableKeyPath<Section, Bool> & Sendable) -> Self {
    Self(key: key, encode: { .bool($0[keyPath: p]) }) { (s, r) throws(SpecError) in
      if let v = try r.optionalBool(key) { s[keyPath: p] = v }
    }
  }

  static func doubles(_ key: String, _ p: WritableKeyPath<Section, [Double]> & Sendable) -> Self {
    Self(key: key, encode: { .list($0[keyPath: p].map(ConfigValue.double)) }) { (s, r) throws(SpecError) in
      if let v = try r.optionalDoubleList(key) { s[keyPath: p] = v }
    }
  }

  /// One of `choices`; another value is an error listing them.
  static func choice(_ key: String, _ p: WritableKeyPath<Section, String> & Sendable, _ choices: [String]) -> Self {
    Self(key: key, encode: { .string($0[keyPath: p]) }) { (s, r) throws(SpecError) in
      guard let v = try r.optionalString(key) else { return }
      guard choices.contains(v) else {
        throw SpecError.unknown(key, v, choices: choices, file: r.file, keyPath: r.keyPath(key))
      }
      s[keyPath: p] = v
    }
  }
}

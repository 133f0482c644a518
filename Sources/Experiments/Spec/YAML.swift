import Foundation
import Yams

/// A YAML document converted to a `ConfigValue`, plus what the conversion would otherwise lose: the order of
/// keys in each mapping (the sweep's first key is its slowest axis) and the line of each key (for errors).
struct YAMLDocument {
  var value: ConfigValue
  /// Mapping path (list of keys from the root) → its keys in file order.
  var keyOrder: [[String]: [String]]
  /// Key path (list of keys from the root) → 1-based line of the key.
  var lines: [[String]: Int]
}

extension ConfigValue {
  /// Parses YAML text into a value. Plain scalars resolve as YAML 1.1 does for null, booleans and integers, and
  /// any plain scalar that reads as a decimal number (including `5e-4`, which YAML 1.1 leaves a string) becomes
  /// a double; quoted scalars always stay strings.
  public static func parseYAML(_ text: String, file: String = "") throws(SpecError) -> ConfigValue {
    try loadYAMLDocument(text, file: file).value
  }

  /// Resolves one plain (unquoted) YAML scalar.
  static func resolvePlainScalar(_ s: String) -> ConfigValue {
    switch s {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
    case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
    case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
    case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
    case ".nan", ".NaN", ".NAN": return .double(.nan)
    default: break
    }
    let cleaned = s.replacingOccurrences(of: "_", with: "")
    if cleaned.range(of: #"^[-+]?[0-9]+$"#, options: .regularExpression) != nil, let i = Int(cleaned) {
      return .int(i)
    }
    if cleaned.range(of: #"^[-+]?0x[0-9a-fA-F]+$"#, options: .regularExpression) != nil {
      let negative = cleaned.hasPrefix("-")
      let digits = cleaned.drop { $0 == "-" || $0 == "+" }.dropFirst(2)
      if let i = Int(digits, radix: 16) { return .int(negative ? -i : i) }
    }
    // Only decimal forms: Double("nan") or Double("infinity") would otherwise turn words into numbers.
    if cleaned.range(of: #"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
      let d = Double(cleaned)
    {
      return .double(d)
    }
    return .string(s)
  }
}

/// Limits on a spec's YAML, checked before and while it is converted. Every spec is a few hundred values at most
/// nesting five deep; the parser and the conversion recurse per level and an alias repeats what it names, so text
/// far outside that (100,000 nested `[`, a 400-byte "billion laughs") would overflow the stack or never finish.
enum YAMLLimits {
  static let depth = 64
  static let values = 100_000
  static let bytes = 1 << 20
}

/// Rejects text nested deeper than `YAMLLimits.depth` before the parser sees it: flow brackets (`[`, `{`) outside
/// quotes and comments, plus block nesting (indentation and compact `- ` items) on each line.
private func checkNesting(_ text: String, file: String) throws(SpecError) {
  if text.utf8.count > YAMLLimits.bytes {
    throw SpecError(
      file: file, keyPath: "", message: "\(text.utf8.count) bytes of YAML; a spec may have at most \(YAMLLimits.bytes)")
  }
  var flow = 0
  var line = 1
  var quote: UInt8? = nil
  var comment = false
  var lineStart = true
  var indent = 0
  var dashes = 0
  func tooDeep(_ depth: Int) -> SpecError {
    SpecError(
      file: file, line: line, keyPath: "",
      message: "YAML nested \(depth) levels deep; at most \(YAMLLimits.depth) levels are accepted")
  }
  var previous: UInt8 = 0x0A
  for byte in text.utf8 {
    defer { previous = byte }
    if byte == 0x0A {
      line += 1
      comment = false
      lineStart = true
      indent = 0
      dashes = 0
      continue
    }
    if comment { continue }
    if let q = quote {
      if byte == q { quote = nil }
      continue
    }
    if lineStart {
      if byte == 0x20 {
        indent += 1
        if indent > YAMLLimits.depth * 8 { throw tooDeep(indent / 2) }
        continue
      }
      if byte == 0x2D || byte == 0x3F {  // `- ` or `? ` opens one more block level on the same line
        dashes += 1
        if dashes > YAMLLimits.depth { throw tooDeep(dashes) }
        continue
      }
      lineStart = false
    }
    switch byte {
    case 0x23 where previous == 0x20 || previous == 0x0A || previous == 0x09: comment = true
    // A quote opens a quoted scalar only where a scalar starts; inside plain text (`Srivastava's`) it is a letter.
    case 0x27 where [0x20, 0x5B, 0x7B, 0x2C, 0x3A, 0x0A].contains(previous),
      0x22 where [0x20, 0x5B, 0x7B, 0x2C, 0x3A, 0x0A].contains(previous):
      quote = byte
    case 0x5B, 0x7B:
      flow += 1
      if flow > YAMLLimits.depth { throw tooDeep(flow) }
    case 0x5D, 0x7D: flow = max(0, flow - 1)
    default: break
    }
  }
}

func loadYAMLDocument(_ text: String, file: String) throws(SpecError) -> YAMLDocument {
  try checkNesting(text, file: file)
  let root: Node?
  do {
    root = try Yams.compose(yaml: text)
  } catch let error as YamlError {
    throw SpecError(file: file, line: yamlErrorLine(error), keyPath: "", message: "invalid YAML: \(yamlProblem(error))")
  } catch {
    throw SpecError(file: file, keyPath: "", message: "invalid YAML: \(error)")
  }
  var document = YAMLDocument(value: .null, keyOrder: [:], lines: [:])
  guard let root else { return document }
  var budget = YAMLLimits.values
  document.value = try convert(root, path: [], file: file, into: &document, budget: &budget)
  return document
}

private func convert(
  _ node: Node, path: [String], file: String, into document: inout YAMLDocument, budget: inout Int
) throws(SpecError) -> ConfigValue {
  // An alias copies the node it names, so a few lines of anchors can stand for billions of values: count them.
  budget -= 1
  if budget < 0 {
    throw SpecError(
      file: file, line: node.mark?.line, keyPath: path.joined(separator: "."),
      message: "more than \(YAMLLimits.values) values (aliases expanding?); a spec may have at most that many")
  }
  switch node {
  case .scalar(let scalar):
    switch scalar.style {
    case .singleQuoted, .doubleQuoted, .literal, .folded: return .string(scalar.string)
    default: return ConfigValue.resolvePlainScalar(scalar.string)
    }
  case .sequence(let sequence):
    var items: [ConfigValue] = []
    for (i, item) in sequence.enumerated() {
      items.append(try convert(item, path: path + ["\(i)"], file: file, into: &document, budget: &budget))
    }
    return .list(items)
  case .mapping(let mapping):
    var map: [String: ConfigValue] = [:]
    var order: [String] = []
    for (keyNode, valueNode) in mapping {
      guard case .scalar(let keyScalar) = keyNode else {
        throw SpecError(
          file: file, line: keyNode.mark?.line, keyPath: path.joined(separator: "."),
          message: "mapping keys must be plain strings")
      }
      let key = keyScalar.string
      let keyPath = (path + [key]).joined(separator: ".")
      if map[key] != nil {
        throw SpecError(file: file, line: keyNode.mark?.line, keyPath: keyPath, message: "duplicate key '\(key)'")
      }
      document.lines[path + [key]] = keyNode.mark?.line
      map[key] = try convert(valueNode, path: path + [key], file: file, into: &document, budget: &budget)
      order.append(key)
    }
    document.keyOrder[path] = order
    return .map(map)
  }
}

private func yamlErrorLine(_ error: YamlError) -> Int? {
  switch error {
  case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
  default: return nil
  }
}

private func yamlProblem(_ error: YamlError) -> String {
  switch error {
  case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
  default: return error.description.split(separator: "\n").first.map(String.init) ?? "\(error)"
  }
}

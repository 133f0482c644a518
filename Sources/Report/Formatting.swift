import Experiments
import Foundation

/// Fixed, locale-independent number formatting shared by every report file, so the same results always give the
/// same bytes.
public enum Fmt {
  /// `x` with exactly `decimals` decimals ("89.10"); never "-0.00".
  static func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    let s = String(format: "%.\(decimals)f", x)
    return isNegativeZero(s) ? String(s.dropFirst()) : s
  }

  /// `x` with a sign: "+1.23", "-0.40", "0.00".
  static func signed(_ x: Double, _ decimals: Int) -> String {
    let s = fixed(x, decimals)
    return s.hasPrefix("-") || isZero(s) ? s : "+" + s
  }

  /// A coordinate as written on an axis: at most 6 decimals, trailing zeros dropped ("0.1", "16", "50000").
  static func axis(_ x: Double) -> String {
    guard x.isFinite else { return fixed(x, 0) }
    var s = fixed(x, 6)
    if s.contains(".") {
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
    }
    return s == "-0" ? "0" : s
  }

  /// Decimals for a metric: 2 for the percentages (accuracy, error, Dice, IoU), 4 for losses.
  static func decimals(for metric: String) -> Int {
    metric.contains("loss") || metric.contains("mse") ? 4 : 2
  }

  /// A metric value with its metric's decimals.
  static func metric(_ x: Double, _ metric: String) -> String { fixed(x, decimals(for: metric)) }

  /// A duration: "42.0 s", "3 min 07 s", "2 h 05 min".
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "unknown" }
    if seconds < 60 { return fixed(seconds, 1) + " s" }
    let total = Int(seconds.rounded())
    let h = total / 3600
    let m = (total % 3600) / 60
    let s = total % 60
    if h > 0 { return "\(h) h " + String(format: "%02d", m) + " min" }
    return "\(m) min " + String(format: "%02d", s) + " s"
  }

  /// Accuracies, errors, Dice and IoU are percentages: values read "91.20", differences "+0.60 pt".
  static func isPercent(_ metric: String) -> Bool { isPercentMetric(metric) }

  /// A human name for a metric: "test accuracy (%)", "train loss".
  static func metricName(_ metric: String) -> String {
    let words = metric.replacingOccurrences(of: "_", with: " ")
    return isPercent(metric) ? words + " (%)" : words
  }

  /// A metric in words, without its unit: "test accuracy", "train − test gap", "train Dice".
  static func metricWords(_ metric: String) -> String {
    switch metric {
    case "train_test_gap": return "train − test gap"
    case "mse_gap": return "test − train MSE gap"
    case "mse": return "test MSE"
    case "dice": return "test Dice"
    case "iou": return "test IoU"
    default:
      return metric.split(separator: "_").map { word in
        ["mse": "MSE", "dice": "Dice", "iou": "IoU", "val": "validation"][String(word)] ?? String(word)
      }.joined(separator: " ")
    }
  }

  /// A count with thousands separators, independent of locale: "10,000".
  static func count(_ n: Int) -> String {
    var digits = String(n.magnitude)
    var groups: [String] = []
    while digits.count > 3 {
      groups.insert(String(digits.suffix(3)), at: 0)
      digits.removeLast(3)
    }
    groups.insert(digits, at: 0)
    return (n < 0 ? "-" : "") + groups.joined(separator: ",")
  }

  /// Text safe inside a Markdown table cell (pipes escaped, newlines flattened).
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  private static func isNegativeZero(_ s: String) -> Bool { s.hasPrefix("-") && isZero(String(s.dropFirst())) }

  private static func isZero(_ s: String) -> Bool { s.allSatisfy { $0 == "0" || $0 == "." } }
}

extension Verdict {
  /// The ReScience-style badge: `[Re]` holds, `[¬Re]` fails, `[~Re]` inconclusive, `[Re?]` proxy invalid, `[Re∅]`
  /// not testable at this budget.
  public var badge: String {
    switch self {
    case .holds: return "[Re]"
    case .fails: return "[¬Re]"
    case .inconclusive: return "[~Re]"
    case .proxyInvalid: return "[Re?]"
    case .notTestable: return "[Re∅]"
    }
  }
}

/// Short text for a sweep value: a regularizer map by its `name`, a number on the axis format (so `0.0` and `0`,
/// which a JSON round trip does not tell apart, read the same), anything else as written.
/// A sweep value as text: a map by its name — followed by the fields that tell it apart when `shared` lists that
/// name with those fields (two arms of one method) —, a number on the axis format, anything else as written.
func valueText(_ value: ConfigValue?, shared: [String: [String]] = [:]) -> String {
  guard let value else { return "?" }
  if case .map(let m) = value, let name = m["name"] {
    guard let fields = shared[name.description] else { return name.description }
    return ([name.description] + fields.map { "\($0)=\(m[$0].map(\.description) ?? "–")" }).joined(separator: " ")
  }
  if let d = value.asDouble { return Fmt.axis(d) }
  return value.description
}

/// For map values that share a name but differ (two arms of one method), name → the fields whose values differ
/// among them, sorted.
func distinguishingFields(_ values: [ConfigValue]) -> [String: [String]] {
  var byName: [String: [[String: ConfigValue]]] = [:]
  for value in values {
    guard case .map(let m) = value, let name = m["name"]?.description else { continue }
    if !(byName[name] ?? []).contains(m) { byName[name, default: []].append(m) }
  }
  var out: [String: [String]] = [:]
  for (name, maps) in byName where maps.count > 1 {
    let keys = Set(maps.flatMap(\.keys)).subtracting(["name"])
    out[name] = keys.filter { k in Set(maps.map { $0[k] ?? .null }).count > 1 }.sorted()
  }
  return out
}

/// `key=value` pairs, a map value by its name (as the grid labels are written; `shared[key]`: the method names that
/// two values of that key carry, with the fields that tell them apart).
func coordinateText(
  _ keys: [String], _ coordinates: [String: ConfigValue], shared: [String: [String: [String]]] = [:]
) -> String {
  keys.map { key in
    let value = coordinates[key]
    if case .map = value { return valueText(value, shared: shared[key] ?? [:]) }
    return "\(key)=\(valueText(value))"
  }.joined(separator: ", ")
}

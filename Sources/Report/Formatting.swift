import Experiments
import Foundation
import NumberFormat

/// The one number formatter (`NumberFormat.Fmt`), under the name every report file uses, so that a file needs no
/// import of its own to write a number.
typealias Fmt = NumberFormat.Fmt

/// What the reports add to it: how each metric is written and named.
extension Fmt {
  /// Decimals for a metric: 2 for the percentages (accuracy, error, Dice, IoU), 4 for losses.
  static func decimals(for metric: String) -> Int {
    metric.contains("loss") || metric.contains("mse") ? 4 : 2
  }

  /// A metric value with its metric's decimals.
  static func metric(_ x: Double, _ metric: String) -> String { fixed(x, decimals(for: metric)) }

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

  /// Text safe inside a Markdown table cell (pipes escaped, newlines flattened).
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }
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

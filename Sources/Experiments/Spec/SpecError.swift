import Foundation

/// A mistake in a spec or a `--set` override that a user can fix, rendered as one line:
/// `Experiments/foo.yaml: base.regularizer.name: unknown regularizer 'dropblok' (did you mean 'dropblock'? choices: …)`.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The spec file (as given to `load`), or `--set` for command-line overrides.
  public var file: String
  /// 1-based line in the file when known (YAML syntax errors).
  public var line: Int?
  /// Dotted key path within the spec, e.g. `base.train.lr` or `sweep.regularizer.rate`.
  public var keyPath: String
  /// What is wrong, in a sentence fragment.
  public var message: String
  /// What to do instead, e.g. "did you mean 'dropblock'? choices: dropblock, dropout, none".
  public var suggestion: String?

  public init(file: String, line: Int? = nil, keyPath: String, message: String, suggestion: String? = nil) {
    self.file = file
    self.line = line
    self.keyPath = keyPath
    self.message = message
    self.suggestion = suggestion
  }

  public var description: String {
    var parts: [String] = []
    if !file.isEmpty { parts.append(line.map { "\(file):\($0)" } ?? file) }
    if !keyPath.isEmpty { parts.append(keyPath) }
    let text = suggestion.map { "\(message) (\($0))" } ?? message
    return (parts + [text]).joined(separator: ": ")
  }

  /// An "unknown X" error listing the valid choices, with the nearest choice suggested when it looks like a typo.
  static func unknown(_ what: String, _ name: String, choices: [String], file: String, keyPath: String) -> SpecError {
    SpecError(
      file: file, keyPath: keyPath, message: "unknown \(what) '\(name)'",
      suggestion: choiceSuggestion(for: name, choices: choices))
  }
}

/// "did you mean 'x'? choices: a, b, c" — the nearest choice only when it is plausibly a typo.
func choiceSuggestion(for name: String, choices: [String]) -> String {
  let sorted = choices.sorted()
  let list = sorted.isEmpty ? "none available" : sorted.joined(separator: ", ")
  if let nearest = nearestName(to: name, in: sorted) {
    return "did you mean '\(nearest)'? choices: \(list)"
  }
  return "choices: \(list)"
}

/// The closest name by edit distance, if it is close enough to be a typo (at most a third of the name's length,
/// and at least 1 edit allowed).
public func nearestName(to name: String, in choices: [String]) -> String? {
  let limit = max(1, min(3, name.count / 3 + 1))
  var best: (name: String, distance: Int)?
  for choice in choices {
    let d = levenshtein(name.lowercased(), choice.lowercased())
    if d <= limit, d < (best?.distance ?? .max) { best = (choice, d) }
  }
  return best?.name
}

/// Edit distance (insertions, deletions, substitutions) between two strings.
func levenshtein(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

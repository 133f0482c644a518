/// Everything that can go wrong while finding, verifying or decoding a dataset, each with a message that names the
/// file or option involved and says what to do about it.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// `name` is not a registered dataset.
  case unknownDataset(name: String, known: [String])
  /// A dataset file is absent; `installHint` says which `make` target (or package) provides it.
  case fileNotFound(path: String, dataset: String, installHint: String)
  /// A file exists but could not be read.
  case unreadable(path: String, reason: String)
  /// A file's SHA-256 differs from the one the dataset is pinned to.
  case checksumMismatch(path: String, expected: String, actual: String, installHint: String)
  /// A gzip stream ended early or failed its integrity checks.
  case corruptGzip(source: String, reason: String)
  /// An IDX file's header or size is inconsistent.
  case malformedIDX(source: String, reason: String)
  /// A CSV row could not be parsed (`line` is 1-based).
  case malformedCSV(source: String, line: Int, reason: String)
  /// Decoded files disagree with what the dataset should contain (counts, shapes, label range).
  case unexpectedContents(dataset: String, reason: String)
  /// A requested subset is larger than the split it is drawn from.
  case subsetTooLarge(dataset: String, split: String, requested: Int, maximum: Int)
  /// An option value can never be valid (for example a size of zero).
  case invalidOption(dataset: String, option: String, reason: String)

  public var description: String {
    switch self {
    case .unknownDataset(let name, let known):
      return "unknown dataset '\(name)'; valid choices: \(known.joined(separator: ", "))"
    case .fileNotFound(let path, let dataset, let hint):
      return "dataset '\(dataset)': file not found at \(path); \(hint)"
    case .unreadable(let path, let reason):
      return "cannot read \(path): \(reason)"
    case .checksumMismatch(let path, let expected, let actual, let hint):
      return "\(path) was altered or truncated (SHA-256 \(actual), expected \(expected)); \(hint)"
    case .corruptGzip(let source, let reason):
      return "\(source) is not a valid gzip stream (\(reason)); the file is probably truncated or corrupted"
    case .malformedIDX(let source, let reason):
      return "\(source) is not a valid IDX file: \(reason)"
    case .malformedCSV(let source, let line, let reason):
      return "\(source), line \(line): \(reason)"
    case .unexpectedContents(let dataset, let reason):
      return "dataset '\(dataset)' has unexpected contents: \(reason)"
    case .subsetTooLarge(let dataset, let split, let requested, let maximum):
      return "dataset '\(dataset)': requested \(requested) \(split) examples but at most \(maximum) are available"
    case .invalidOption(let dataset, let option, let reason):
      return "dataset '\(dataset)': invalid \(option): \(reason)"
    }
  }
}

import Experiments
import Foundation

/// A results file that cannot be used, naming the file.
public struct ResultsStoreError: Error, CustomStringConvertible, Equatable {
  /// The file (or directory) concerned.
  public var file: String
  public var message: String

  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  public var description: String { "\(file): \(message)" }
}

/// Reads `Reports/results/*.json`.
public enum ResultsStore {
  /// Loads every `*.json` in `directory`, sorted by experiment id.
  /// A missing directory, a file that does not decode or has an unknown `schemaVersion` is an error naming it.
  public static func loadAll(from directory: URL) throws(ResultsStoreError) -> [ExperimentResults] {
    let (results, skipped) = try loadReadable(from: directory)
    if let first = skipped.first { throw first }
    return results
  }

  /// `loadAll`, except that a file that cannot be read or decoded is skipped and returned with its error instead
  /// of failing the whole load: one damaged results file must not stop the others' pages (or a finished run).
  public static func loadReadable(
    from directory: URL
  ) throws(ResultsStoreError) -> (results: [ExperimentResults], skipped: [ResultsStoreError]) {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ResultsStoreError(
        file: directory.path, message: "no results directory (run an experiment first: dropbench run <id>)")
    }
    let names: [String]
    do {
      names = try fm.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
    } catch {
      throw ResultsStoreError(file: directory.path, message: "cannot list the directory: \(error.localizedDescription)")
    }
    var results: [ExperimentResults] = []
    var skipped: [ResultsStoreError] = []
    for name in names {
      let url = directory.appendingPathComponent(name)
      do throws(ResultsStoreError) {
        guard let data = fm.contents(atPath: url.path) else {
          throw ResultsStoreError(file: url.path, message: "cannot read the file")
        }
        results.append(try decode(data, file: url.path))
      } catch {
        skipped.append(error)
      }
    }
    return (results.sorted { $0.experimentID < $1.experimentID }, skipped)
  }

  /// Decodes one results file; `file` names it in errors.
  public static func decode(_ data: Data, file: String) throws(ResultsStoreError) -> ExperimentResults {
    struct Header: Decodable { var schemaVersion: Int? }
    let decoder = ExperimentResults.decoder()
    let header: Header
    do {
      header = try decoder.decode(Header.self, from: data)
    } catch {
      throw ResultsStoreError(file: file, message: "not a results JSON object: \(describe(error))")
    }
    guard let version = header.schemaVersion else {
      throw ResultsStoreError(file: file, message: "missing schemaVersion (not a DropBench results file?)")
    }
    guard version == ExperimentResults.currentSchemaVersion else {
      throw ResultsStoreError(
        file: file,
        message:
          "unknown schemaVersion \(version) (this dropbench reads version \(ExperimentResults.currentSchemaVersion)); "
          + "re-run the experiment or use a matching dropbench")
    }
    do {
      return try decoder.decode(ExperimentResults.self, from: data)
    } catch {
      throw ResultsStoreError(file: file, message: "cannot decode results: \(describe(error))")
    }
  }

  /// A one-line account of a decoding error with its key path.
  static func describe(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
      keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    guard let error = error as? DecodingError else { return String(describing: error) }
    switch error {
    case .keyNotFound(let key, let context):
      return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
    case .typeMismatch(let type, let context):
      return "expected \(type) at \(path(context.codingPath)): \(context.debugDescription)"
    case .valueNotFound(let type, let context):
      return "missing \(type) value at \(path(context.codingPath))"
    case .dataCorrupted(let context):
      let underlying = (context.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
      return "\(context.debugDescription) at \(path(context.codingPath))\(underlying)"
    @unknown default:
      return String(describing: error)
    }
  }
}

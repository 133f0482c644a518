import Foundation

/// A dataset's files on disk, each pinned to a SHA-256: where they are looked for, what a missing or altered one
/// tells the user, and how they are read. The part every file-backed loader shares.
struct PinnedFiles: Sendable {
  struct File: Sendable {
    var name: String
    var sha256: String
  }

  var dataset: String
  var files: [File]
  /// Overrides `defaultRoot` when set (`DatasetOptions.root` overrides both).
  var environmentVariable: String
  var defaultRoot: String
  /// Appended to every missing-file or checksum error: how to get a good copy.
  var installHint: String

  /// `options.root`, else the environment variable, else `defaultRoot`.
  func root(_ options: DatasetOptions) -> String {
    options.root ?? ProcessInfo.processInfo.environment[environmentVariable] ?? defaultRoot
  }

  func path(_ file: File, _ options: DatasetOptions) -> String {
    URL(fileURLWithPath: root(options)).appendingPathComponent(file.name).path
  }

  /// File name → digest, each checked against its pin (digests are remembered while a file is unchanged).
  func checksums(_ options: DatasetOptions) throws -> [String: String] {
    var result: [String: String] = [:]
    for file in files {
      let path = path(file, options)
      let digest = try FileAccess.digest(of: path, dataset: dataset, installHint: installHint)
      guard digest == file.sha256 else {
        throw DataError.checksumMismatch(path: path, expected: file.sha256, actual: digest, installHint: installHint)
      }
      result[file.name] = digest
    }
    return result
  }

  /// The pinned digests, as a loaded dataset reports them.
  var pinned: [String: String] { Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.sha256) }) }

  /// The gunzipped contents of `file`, read whole and checked against its pin; the path names it in errors.
  func inflated(_ file: File, _ options: DatasetOptions) throws -> (path: String, bytes: [UInt8]) {
    let path = path(file, options)
    let compressed = try FileAccess.read(path, dataset: dataset, installHint: installHint)
    _ = try FileAccess.verify(compressed, path: path, expected: file.sha256, installHint: installHint)
    return (path, try Gzip.decompress(compressed, source: path))
  }
}

import Data
import Foundation

/// The version of everything that decides a run's numbers: the source of the engine, regularizers, datasets and
/// this module's execution code, hashed from the source tree this binary was built from (found through
/// `#filePath`). Any edit there changes every cache key; edits to the CLI, reporting or docs do not.
public enum EngineVersion {
  static let hashedTargets = ["Tensor", "NN", "Regularizers", "Data", "CDNNL", "CZlib"]
  static let hashedRunnerFiles = ["Execution.swift", "CatalogBuilder.swift"]

  public static let current: String = compute()

  static func compute() -> String {
    let runnerDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let sources = runnerDirectory.deletingLastPathComponent()
    var files: [URL] = hashedRunnerFiles.map { runnerDirectory.appendingPathComponent($0) }
    for target in hashedTargets {
      let dir = sources.appendingPathComponent(target)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      files += names.sorted().map { dir.appendingPathComponent($0) }
    }
    var hasher = SHA256.Hasher()
    var found = 0
    for file in files {
      guard let bytes = FileManager.default.contents(atPath: file.path) else { continue }
      found += 1
      hasher.update(Array(file.path.dropFirst(sources.path.count).utf8))
      hasher.update([0])
      hasher.update(Array(bytes))
    }
    // Without the source tree (a binary copied elsewhere) no version can be vouched for: say so in every key.
    guard found > 0 else { return "unknown-source" }
    return String(hasher.finalizeHex().prefix(16))
  }
}

import Foundation
import Hashing
import Regularizers

/// The source hash of everything that decides a run's numbers, from the source tree this binary was built from
/// (found through `#filePath`): the core engine — the parameter schema, tensors, layers, models, datasets, the
/// regularizer core and registry, and this module's execution code — plus, per run, the file of the regularizer it
/// uses. Recorded in every result's provenance as an audit trail (`verify` names a difference); cache keys use the
/// declared `NumericsVersion` instead, so that edits which move no bit keep stored records reusable.
public enum EngineVersion {
  static let hashedTargets = ["Schema", "Tensor", "NN", "Regularizers", "Datasets", "CDNNL", "CZlib"]
  static let hashedRunnerFiles = ["Execution.swift", "CatalogBuilder.swift", "EngineVersion.swift"]
  /// Per-method files: hashed into the keys of the runs that use the method, not into the core.
  static let methodsDirectory = "Regularizers/Methods"
  /// The registry only lists the methods: adding a line to it changes no run's numbers.
  static let registryFile = "Regularizers/Registry.swift"

  public static let current: String = compute()

  /// The compile target CPU of the numeric targets (Package.swift's `-target-cpu`): it can change result bits.
  public static let targetCPU: String = {
    #if DROPBENCH_TARGET_HASWELL
      return "haswell"
    #elseif DROPBENCH_TARGET_OTHER
      return "custom"
    #else
      return "baseline"
    #endif
  }()

  static var sourcesDirectory: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  }

  static func compute() -> String { hash(coreFiles(), relativeTo: sourcesDirectory) ?? "unknown-source" }

  /// The files of the core version, in a fixed order.
  static func coreFiles() -> [URL] {
    let sources = sourcesDirectory
    let runner = sources.appendingPathComponent("Runner")
    var files: [URL] = hashedRunnerFiles.map { runner.appendingPathComponent($0) }
    for target in hashedTargets {
      files += swiftFiles(under: sources.appendingPathComponent(target)).filter {
        let path = relative($0, to: sources)
        return !path.hasPrefix(methodsDirectory + "/") && path != registryFile
      }
    }
    return files
  }

  /// Every regular file under `directory`, recursively, in a fixed order.
  static func swiftFiles(under directory: URL) -> [URL] {
    guard let names = FileManager.default.subpaths(atPath: directory.path) else { return [] }
    return names.sorted().map { directory.appendingPathComponent($0) }.filter {
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
  }

  static func relative(_ file: URL, to sources: URL) -> String {
    String(file.path.dropFirst(sources.path.count + 1))
  }

  /// SHA-256 (16 hex digits) of the files' relative paths and bytes, or nil when none could be read — a binary
  /// copied away from its source tree, which can vouch for no version.
  static func hash(_ files: [URL], relativeTo sources: URL) -> String? {
    var hasher = SHA256.Hasher()
    var found = 0
    for file in files {
      guard let bytes = FileManager.default.contents(atPath: file.path) else { continue }
      found += 1
      hasher.update(Array(("/" + relative(file, to: sources)).utf8))
      hasher.update([0])
      hasher.update(Array(bytes))
    }
    return found > 0 ? String(hasher.finalizeHex().prefix(16)) : nil
  }

  /// What a run's cache key says about a regularizer's code: its declared numerics tag (`name:version`, plus the
  /// methods it uses), or `name:unknown` for a name the registry does not know.
  public static func numericsTag(_ name: String) -> String {
    RegularizerRegistry.descriptor(name)?.numericsTag ?? "\(name):unknown"
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var methodVersions: [String: String] = [:]

  /// The version of one regularizer: the hash of the files its numbers depend on (`sourceFiles`: its own under
  /// `Regularizers/Methods/`, `none` included, and those of the methods it calls).
  public static func regularizer(_ name: String) -> String {
    lock.lock()
    defer { lock.unlock() }
    if let known = methodVersions[name] { return known }
    var version = "unknown"
    if let descriptor = RegularizerRegistry.descriptor(name) {
      let files = descriptor.sourceFiles.map { URL(fileURLWithPath: $0) }
      let sources = sourcesDirectory
      if files.allSatisfy({ $0.path.hasPrefix(sources.path + "/" + methodsDirectory + "/") }) {
        version = hash(files, relativeTo: sources) ?? "unknown-source"
      } else {
        version = "core"
      }
    }
    methodVersions[name] = version
    return version
  }
}

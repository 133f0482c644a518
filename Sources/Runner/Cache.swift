import Experiments
import Foundation
import Hashing

/// One JSON file per finished run in `.dropbench/cache/<key>.json`. Files are written to a temporary name and
/// renamed, so a reader sees a whole result or none. `<key>.lock` is held while a process trains the run
/// (`RunLock`); damaged entries are moved to `quarantine/`.
public struct RunCache: Sendable {
  public let directory: URL

  public init(directory: URL) {
    self.directory = directory
  }

  public static let defaultDirectory = URL(fileURLWithPath: ".dropbench/cache")

  public func url(for key: String) -> URL { directory.appendingPathComponent("\(key).json") }

  public func lockURL(for key: String) -> URL { directory.appendingPathComponent("\(key).lock") }

  public var quarantine: URL { directory.appendingPathComponent("quarantine") }

  public enum Entry: Equatable {
    case missing
    case valid(RunRecord)
    /// Present but not to be trusted; the reason, in a few words.
    case damaged(String)
  }

  /// What the file of `key` holds. A record must decode and name its own key: a file copied or renamed under
  /// another run's key would otherwise report that run's numbers as this one's.
  public func entry(_ key: String) -> Entry {
    guard let data = FileManager.default.contents(atPath: url(for: key).path) else { return .missing }
    if data.isEmpty { return .damaged("empty file") }
    let record: RunRecord
    do {
      record = try JSONDecoder().decode(RunRecord.self, from: data)
    } catch DecodingError.dataCorrupted {
      return .damaged("not valid JSON")
    } catch DecodingError.keyNotFound(let field, _) {
      return .damaged("no field '\(field.stringValue)'")
    } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
      return .damaged("field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
    } catch {
      return .damaged("does not decode")
    }
    guard record.key == key else { return .damaged("it holds run \(record.key)") }
    return .valid(record)
  }

  /// The cached record, or nil if absent or damaged (written by an older schema, truncated, or another run's): the
  /// run is then redone rather than reported from garbage. Reads only; see `loadForRun`.
  public func load(_ key: String) -> RunRecord? {
    if case .valid(let record) = entry(key) { return record }
    return nil
  }

  /// `load` for a command about to train: a damaged entry is named on stderr and moved to `quarantine/` (kept for
  /// a post-mortem, and out of the way of the retrained run).
  public func loadForRun(
    _ key: String, warn: (String) -> Void = { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
  ) -> RunRecord? {
    switch entry(key) {
    case .missing: return nil
    case .valid(let record): return record
    case .damaged(let reason):
      // A concurrent process may have replaced the file with a good record meanwhile: check again just before.
      guard case .damaged = entry(key) else { return load(key) }
      try? FileManager.default.createDirectory(at: quarantine, withIntermediateDirectories: true)
      var target = quarantine.appendingPathComponent("\(key).json")
      var n = 1
      while FileManager.default.fileExists(atPath: target.path) {
        n += 1
        target = quarantine.appendingPathComponent("\(key).\(n).json")
      }
      if rename(url(for: key).path, target.path) == 0 {
        warn("cache entry \(key) is damaged (\(reason)): moved to \(target.path), retraining")
      } else {
        warn("cache entry \(key) is damaged (\(reason)) and could not be moved aside; retraining")
      }
      return nil
    }
  }

  /// Makes the directory and removes what killed processes left: abandoned temporary files, unlocked lock files.
  public func open() throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    CacheHousekeeping.sweep(directory)
  }

  public func store(_ record: RunRecord) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try AtomicFile.write(JSON.encode(record), to: url(for: record.key))
  }

  /// The cache key of a run: everything that decides its numbers — the config, the declared numerics version of the
  /// core engine and of each regularizer it uses (`NumericsVersion`), the data, the kernels and the compile target
  /// CPU. Source bytes are not in it: an edit that moves no bit keeps every stored record reusable, the committed
  /// ones in `Reports/results` included (`CommittedRecords`).
  /// A calibration pilot (`pilot`) is keyed apart: it records no test metric, so it must never stand for a run; its
  /// purpose line names what a pilot measures, so pilots recorded before the held-out metrics are not reused.
  public static func key(
    configTree: ConfigValue, datasetChecksums: [String: String], kernels: String, pilot: Bool = false
  ) -> String {
    let regularizer = configTree[path: "regularizer.name"]?.asString ?? "none"
    var material = [
      "config=" + configTree.canonicalJSON, "engine=" + NumericsVersion.engineTag,
      "regularizer=" + EngineVersion.numericsTag(regularizer),
      "data=" + datasetChecksums.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","),
      "kernels=" + kernels, "target=" + EngineVersion.targetCPU,
    ]
    // The regularizers listed in `with` (none listed: the material, and so the key, is as before).
    if case .list(let companions)? = configTree[path: "regularizer.with"] {
      for name in companions.compactMap({ $0[path: "name"]?.asString }) {
        material.append("with=" + EngineVersion.numericsTag(name))
      }
    }
    if pilot { material.append("purpose=calibration pilot (no test metric; held-out metrics)") }
    return String(SHA256.hex(material.joined(separator: "\n")).prefix(24))
  }
}

public enum AtomicFile {
  private static let serialLock = NSLock()
  nonisolated(unsafe) private static var serial = 0

  /// Unique per process; with the pid it makes temporary names unique across processes sharing a directory.
  private static func nextSerial() -> Int {
    serialLock.lock()
    defer { serialLock.unlock() }
    serial += 1
    return serial
  }

  /// Writes via a unique temporary file in the same directory, then `rename(2)`: atomic on POSIX filesystems.
  /// A critical section for `Interrupts`: Ctrl-C waits for the rename instead of leaving the temporary file. In a
  /// worker (default dispositions) SIGINT/SIGTERM are held for the same span and take effect right after it.
  public static func write(_ data: Data, to url: URL) throws {
    var held = sigset_t()
    var previous = sigset_t()
    sigemptyset(&held)
    sigaddset(&held, SIGINT)
    sigaddset(&held, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &held, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    try Interrupts.critical { try writeNow(data, to: url) }
  }

  /// This host's name without dots, in temporary names: a cache shared by several nodes can then tell whether the
  /// writer of a leftover temporary file is a process of this host (`CacheHousekeeping`).
  static let host: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let name = String(decoding: bytes, as: UTF8.self).map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
    return name.isEmpty ? "host" : String(name)
  }()

  /// `.<name>.<host>.<pid>.<serial>.tmp`, unique across the processes and hosts sharing a directory.
  static func temporaryName(for name: String) -> String { ".\(name).\(probeSuffix)" }

  /// `<host>.<pid>.<serial>.tmp`: a fresh temporary-file suffix (for other short-lived files in a cache, too).
  public static var probeSuffix: String {
    "\(host).\(ProcessInfo.processInfo.processIdentifier).\(nextSerial()).tmp"
  }

  private static func writeNow(_ data: Data, to url: URL) throws {
    let temp = url.deletingLastPathComponent().appendingPathComponent(temporaryName(for: url.lastPathComponent))
    try data.write(to: temp)
    if rename(temp.path, url.path) != 0 {
      try? FileManager.default.removeItem(at: temp)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
  }
}

public enum JSON {
  public static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
  }
}

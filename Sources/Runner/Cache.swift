import Data
import Experiments
import Foundation

/// One JSON file per finished run in `.dropbench/cache/<key>.json`. Files are written to a temporary name and
/// renamed, so a reader sees a whole result or none; two processes writing the same key write the same bytes.
public struct RunCache: Sendable {
  public let directory: URL

  public init(directory: URL) {
    self.directory = directory
  }

  public static let defaultDirectory = URL(fileURLWithPath: ".dropbench/cache")

  public func url(for key: String) -> URL { directory.appendingPathComponent("\(key).json") }

  /// The cached record, or nil if absent. A file that does not decode (written by an older schema, or damaged by
  /// hand) is treated as absent, so the run is redone rather than reported from garbage.
  public func load(_ key: String) -> RunRecord? {
    guard let data = FileManager.default.contents(atPath: url(for: key).path) else { return nil }
    return try? JSONDecoder().decode(RunRecord.self, from: data)
  }

  public func store(_ record: RunRecord) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try AtomicFile.write(JSON.encode(record), to: url(for: record.key))
  }

  /// The cache key of a run: everything that decides its numbers.
  public static func key(configTree: ConfigValue, datasetChecksums: [String: String], kernels: String) -> String {
    let material = [
      "config=" + configTree.canonicalJSON, "engine=" + EngineVersion.current,
      "data=" + datasetChecksums.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","),
      "kernels=" + kernels,
    ].joined(separator: "\n")
    return String(SHA256.hex(material).prefix(24))
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

  private static func writeNow(_ data: Data, to url: URL) throws {
    let temp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(nextSerial()).tmp")
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

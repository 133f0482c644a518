import Foundation
import Hashing

/// Reading dataset files and checking them against pinned SHA-256 digests.
enum FileAccess {
  /// The whole file at `path`, or `DataError.fileNotFound` carrying `installHint`.
  static func read(_ path: String, dataset: String, installHint: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DataError.fileNotFound(path: path, dataset: dataset, installHint: installHint)
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DataError.unreadable(path: path, reason: "permission denied or not a regular file")
    }
    defer { try? handle.close() }
    do {
      let contents = try handle.readToEnd() ?? Foundation.Data()
      return [UInt8](contents)
    } catch {
      throw DataError.unreadable(path: path, reason: "\(error)")
    }
  }

  /// Throws `DataError.checksumMismatch` unless `bytes` hash to `expected` (when one is pinned).
  static func verify(_ bytes: [UInt8], path: String, expected: String?, installHint: String) throws -> String {
    let actual = SHA256.hex(bytes)
    if let expected, actual != expected {
      throw DataError.checksumMismatch(path: path, expected: expected, actual: actual, installHint: installHint)
    }
    digests.remember(path: path, digest: actual)
    return actual
  }

  /// The SHA-256 of the file at `path`, reusing an earlier digest while the file's size and modification time are
  /// unchanged: cache keys are computed for every run, and rehashing 26 MB each time would be wasted work.
  static func digest(of path: String, dataset: String, installHint: String) throws -> String {
    if let known = digests.lookup(path: path) { return known }
    let bytes = try read(path, dataset: dataset, installHint: installHint)
    let digest = SHA256.hex(bytes)
    digests.remember(path: path, digest: digest)
    return digest
  }

  private static let digests = DigestMemo()
}

/// A process-wide memo of file digests keyed by (path, size, modification time).
private final class DigestMemo: @unchecked Sendable {
  private struct Stamp: Hashable {
    var path: String
    var size: UInt64
    var modified: Double
  }

  // Guarded by `lock`; @unchecked because NSLock-protected state is not visible to the checker.
  private var entries: [Stamp: String] = [:]
  private let lock = NSLock()

  private func stamp(_ path: String) -> Stamp? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let size = (attributes[.size] as? NSNumber)?.uint64Value,
      let modified = attributes[.modificationDate] as? Date
    else { return nil }
    return Stamp(path: path, size: size, modified: modified.timeIntervalSinceReferenceDate)
  }

  func lookup(path: String) -> String? {
    guard let key = stamp(path) else { return nil }
    return lock.withLock { entries[key] }
  }

  func remember(path: String, digest: String) {
    guard let key = stamp(path) else { return }
    lock.withLock { entries[key] = digest }
  }
}

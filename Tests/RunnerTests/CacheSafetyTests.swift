import Experiments
import Foundation
import Testing

@testable import Runner

/// The cache shared by concurrent processes: per-run locks, damaged entries moved aside, leftovers swept.
@Suite struct CacheSafetyTests {
  static func record(_ key: String) -> RunRecord {
    RunRecord(
      key: key, point: ["regularizer.rate": 0.5], seed: 0, config: ["seed": 1], status: .ok, epochs: [],
      final: ["test_accuracy": 90], wallSeconds: 1)
  }

  static func freshCache() throws -> RunCache {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-cache-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return RunCache(directory: dir)
  }

  /// Truncated, garbage and another run's record: each is named in one line, moved to quarantine/ (not deleted)
  /// and read as missing, so the run is retrained; a sound entry is left alone.
  @Test func damagedEntriesAreQuarantinedAndNamed() throws {
    let cache = try Self.freshCache()
    try cache.store(Self.record("good"))
    let valid = try JSON.encode(Self.record("other"))
    try valid.prefix(valid.count / 2).write(to: cache.url(for: "truncated"))
    try Data("\u{0}\u{1}garbage\n".utf8).write(to: cache.url(for: "garbage"))
    try valid.write(to: cache.url(for: "copied"))
    var lines: [String] = []
    #expect(cache.loadForRun("good", warn: { lines.append($0) }) == Self.record("good"))
    #expect(lines.isEmpty)
    let cases = [("truncated", "not valid JSON"), ("garbage", "not valid JSON"), ("copied", "holds run other")]
    for (key, reason) in cases {
      #expect(cache.entry(key) != .missing)
      #expect(cache.load(key) == nil)  // read-only callers (status, dry-run) see it as missing and move nothing
      #expect(FileManager.default.fileExists(atPath: cache.url(for: key).path))
      lines = []
      #expect(cache.loadForRun(key, warn: { lines.append($0) }) == nil)
      let moved = cache.quarantine.appendingPathComponent("\(key).json")
      #expect(lines.first?.hasPrefix("cache entry \(key) is damaged (") == true)
      #expect(lines.first?.contains(reason) == true, "\(lines)")
      #expect(lines.first?.hasSuffix(": moved to \(moved.path), retraining") == true, "\(lines)")
      #expect(!FileManager.default.fileExists(atPath: cache.url(for: key).path))
      #expect(FileManager.default.fileExists(atPath: moved.path))
      #expect(cache.entry(key) == .missing)
    }
    #expect(try Data(contentsOf: cache.quarantine.appendingPathComponent("copied.json")) == valid)
  }

  /// A temporary file whose writer on this host is gone, or one older than a minute, is removed when the cache is
  /// opened; a fresh one of a live writer (a write in progress) is kept.
  @Test func openSweepsAbandonedTemporaryFilesOnly() throws {
    let cache = try Self.freshCache()
    let dead = Process()
    dead.executableURL = URL(fileURLWithPath: "/bin/true")
    try dead.run()
    dead.waitUntilExit()
    let host = AtomicFile.host
    let me = ProcessInfo.processInfo.processIdentifier
    let goneWriter = ".k1.json.\(host).\(dead.processIdentifier).1.tmp"
    let liveWriter = ".k2.json.\(host).\(me).1.tmp"
    let otherHost = ".k3.json.elsewhere-node.\(me).1.tmp"
    let oldOtherHost = ".k4.json.elsewhere-node.\(me).2.tmp"
    for name in [goneWriter, liveWriter, otherHost, oldOtherHost] {
      try Data("{".utf8).write(to: cache.directory.appendingPathComponent(name))
    }
    try FileManager.default.setAttributes(
      [.modificationDate: Date().addingTimeInterval(-120)],
      ofItemAtPath: cache.directory.appendingPathComponent(oldOtherHost).path)
    try cache.open()
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: cache.directory.path))
    #expect(left == [liveWriter, otherHost])
  }

  /// One holder at a time, even within a process (flock is per open file); the lock file goes on release; an
  /// unlocked leftover (a crashed worker's) is swept by `open`, a held one is not.
  @Test func runLockExcludesAndLeavesNothingBehind() throws {
    let cache = try Self.freshCache()
    let url = cache.lockURL(for: "k")
    let first = try #require(try RunLock.acquire(url))
    #expect(RunLock.isHeld(url))
    #expect(try RunLock.acquire(url) == nil)
    try cache.open()
    #expect(FileManager.default.fileExists(atPath: url.path))
    first.release()
    #expect(!FileManager.default.fileExists(atPath: url.path))
    #expect(!RunLock.isHeld(url))
    let second = try #require(try RunLock.acquire(url))
    second.release()
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)  // as left by kill -9: no holder
    #expect(!RunLock.isHeld(url))
    try cache.open()
    #expect(!FileManager.default.fileExists(atPath: url.path))
  }
}

import Foundation
import Testing

/// Two processes on one cache, damaged or leftover cache files, and output paths that cannot be written: each
/// handled before or without training a run twice.
@Suite(.serialized) struct SharedCacheCLITests {
  static let smoke = ["run", "tiny", "--scale", "smoke", "--jobs", "1", "--plain"]

  static func cacheNames(_ dir: URL) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".dropbench/cache").path)) ?? []
  }

  static func trained(_ stderr: String) -> Int? {
    guard let range = stderr.range(of: #"4 runs: (\d+) trained"#, options: .regularExpression) else { return nil }
    return Int(stderr[range].dropFirst("4 runs: ".count).prefix { $0.isNumber })
  }

  static func runs(_ dir: URL, reports: String) throws -> [String] {
    let data = try Data(contentsOf: dir.appendingPathComponent("\(reports)/results/tiny.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(json["runs"] as? [[String: Any]]).map { run in
      var r = run
      r["wallSeconds"] = nil
      return String(decoding: try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]), as: UTF8.self)
    }
  }

  /// Started together on one cache, two runs of one sweep train every run exactly once between them (the other
  /// waits for the run's lock and reads the result) and write the same results.
  @Test func concurrentRunsOfOneSpecTrainEachRunOnce() throws {
    let dir = try CLITests.workspace()
    let group = DispatchGroup()
    nonisolated(unsafe) var results: [CLITests.Result?] = [nil, nil]
    for (i, reports) in ["ra", "rb"].enumerated() {
      group.enter()
      DispatchQueue.global().async {
        results[i] = try? CLITests.run(Self.smoke + ["--reports", reports], in: dir, timeout: 300)
        group.leave()
      }
    }
    group.wait()
    let a = try #require(results[0])
    let b = try #require(results[1])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
    let trainedA = try #require(Self.trained(a.stderr), "\(a.stderr)")
    let trainedB = try #require(Self.trained(b.stderr), "\(b.stderr)")
    #expect(trainedA + trainedB == 4, "\(a.stderr)\n\(b.stderr)")
    #expect(try Self.runs(dir, reports: "ra") == Self.runs(dir, reports: "rb"))
    // Lock files go with their runs; no temporary file is left.
    #expect(Self.cacheNames(dir).sorted() == Self.cacheNames(dir).filter { $0.hasSuffix(".json") }.sorted())
    #expect(Self.cacheNames(dir).filter { !$0.hasPrefix(".") }.count == 4)
  }

  /// Runs `arguments` in the background; `wait()` returns its result.
  static func start(_ arguments: [String], in dir: URL) -> () -> CLITests.Result? {
    let group = DispatchGroup()
    nonisolated(unsafe) var result: CLITests.Result?
    group.enter()
    DispatchQueue.global().async {
      result = try? CLITests.run(arguments, in: dir, timeout: 120)
      group.leave()
    }
    return {
      group.wait()
      return result
    }
  }

  /// `status` counts a run whose lock a process holds as running. A run waits for a run whose lock another process
  /// holds: it reads the result when one appears, and trains the run itself when the lock goes without one. A
  /// damaged entry is named, moved to quarantine/ and retrained; an abandoned temporary file and an unlocked lock
  /// file are swept by the next run.
  @Test func statusRunningWaitingQuarantineAndLeftovers() throws {
    let dir = try CLITests.workspace()
    let first = try CLITests.run(Self.smoke, in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    let cache = dir.appendingPathComponent(".dropbench/cache")
    let keys = Self.cacheNames(dir).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    try #require(keys.count == 4)
    let file = cache.appendingPathComponent("\(keys[0]).json")
    let saved = try Data(contentsOf: file)
    try FileManager.default.removeItem(at: file)
    let lockPath = cache.appendingPathComponent("\(keys[0]).lock").path
    func lock() throws -> Int32 {
      let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
      try #require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
      return fd
    }
    var fd = try lock()
    let held = try CLITests.run(["status", "tiny", "--scale", "smoke"], in: dir)
    #expect(held.stdout == "tiny [smoke]: 3/4 runs done, 1 running, 0 missing\n", "\(held.stdout)\(held.stderr)")
    #expect(try CLITests.run(["status", "tiny", "--scale", "smoke", "--require-complete"], in: dir).status == 1)
    close(fd)  // as a killed worker's lock: the file stays, nobody holds it
    let released = try CLITests.run(["status", "tiny", "--scale", "smoke"], in: dir)
    #expect(released.stdout == "tiny [smoke]: 3/4 runs done, 0 running, 1 missing\n", "\(released.stdout)")

    // The holder finishes the run: the waiting process takes its result.
    fd = try lock()
    var wait = Self.start(Self.smoke, in: dir)
    sleep(2)
    try saved.write(to: file, options: .atomic)
    close(fd)
    let took = try #require(wait())
    #expect(took.status == 0 && took.stderr.contains("4 runs: 0 trained, 4 cached"), "\(took.stderr)")
    // The holder goes without a result: the waiting process trains the run.
    try FileManager.default.removeItem(at: file)
    fd = try lock()
    wait = Self.start(Self.smoke, in: dir)
    sleep(2)
    close(fd)
    let trained = try #require(wait())
    #expect(trained.status == 0 && trained.stderr.contains("4 runs: 1 trained, 3 cached"), "\(trained.stderr)")
    #expect(FileManager.default.fileExists(atPath: file.path))

    // A valid record under another run's name, and a killed writer's temporary file from two minutes ago.
    try FileManager.default.copyItem(
      at: cache.appendingPathComponent("\(keys[2]).json"), to: cache.appendingPathComponent("\(keys[1]).json.new"))
    try FileManager.default.removeItem(at: cache.appendingPathComponent("\(keys[1]).json"))
    try FileManager.default.moveItem(
      at: cache.appendingPathComponent("\(keys[1]).json.new"), to: cache.appendingPathComponent("\(keys[1]).json"))
    let temp = cache.appendingPathComponent(".\(keys[3]).json.node7.4242.1.tmp")
    try Data("{\"key\":".utf8).write(to: temp)
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: temp.path)
    let again = try CLITests.run(Self.smoke, in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    let quarantined = cache.appendingPathComponent("quarantine/\(keys[1]).json")
    #expect(
      again.lines.contains(
        "cache entry \(keys[1]) is damaged (it holds run \(keys[2])): moved to \(quarantined.path), retraining"),
      "\(again.stderr)")
    #expect(again.stderr.contains("4 runs: 1 trained, 3 cached"), "\(again.stderr)")
    #expect(FileManager.default.fileExists(atPath: quarantined.path))
    #expect(Self.cacheNames(dir).sorted() == (keys.map { "\($0).json" } + ["quarantine"]).sorted())
  }

  /// Output paths that cannot be written are refused with exit 2 and one line naming the path, before any run
  /// trains (the cache stays empty).
  @Test func unwritableOutputsAreRefusedBeforeTraining() throws {
    let dir = try CLITests.workspace()
    let fm = FileManager.default
    _ = fm.createFile(atPath: dir.appendingPathComponent("plain-file").path, contents: Data())
    try fm.createDirectory(at: dir.appendingPathComponent("r1"), withIntermediateDirectories: true)
    _ = fm.createFile(atPath: dir.appendingPathComponent("r1/results").path, contents: Data())
    try fm.createDirectory(at: dir.appendingPathComponent("r2/results/tiny.json"), withIntermediateDirectories: true)
    // Permission bits do not stop root: there, use a filesystem no one may create files in.
    let locked = dir.appendingPathComponent("r3")
    try fm.createDirectory(at: locked, withIntermediateDirectories: true)
    try fm.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
    let unwritable = getuid() == 0 ? "/sys" : locked.path
    let cases: [(arguments: [String], says: [String])] = [
      (["--cache", "plain-file/cache"], ["--cache plain-file/cache", "\(dir.path)/plain-file is a file"]),
      (["--reports", "r1"], ["--reports r1", "\(dir.path)/r1/results is a file"]),
      (["--reports", "r2"], ["\(dir.path)/r2/results/tiny.json is a directory"]),
      (["--reports", unwritable], ["--reports \(unwritable): cannot write in \(unwritable)"]),
    ]
    for (arguments, says) in cases {
      let result = try CLITests.run(Self.smoke + arguments, in: dir, timeout: 60)
      #expect(result.status == 2, "\(arguments): \(result.stderr)")
      #expect(result.lines.count == 1 && result.lines[0].hasPrefix("error: "), "\(arguments): \(result.stderr)")
      for text in says { #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)") }
      #expect(!result.stderr.contains("NSCocoaErrorDomain"))
    }
    #expect(Self.cacheNames(dir).filter { $0.hasSuffix(".json") }.isEmpty)
  }
}

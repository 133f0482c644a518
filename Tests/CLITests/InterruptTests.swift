import Foundation
import Testing

/// Ctrl-C / SIGTERM at random moments of a small sweep, and a worker that crashes: the process must always end
/// with exit 130 and one line, lose no finished run, and account for every run.
@Suite(.serialized) struct InterruptTests {
  /// Eight tiny runs (two arms × four seeds): about a second of training with --jobs 2.
  static let spec = CLITests.tinySpec.replacingOccurrences(of: "seeds: [0, 1]", with: "seeds: [0, 1, 2, 3]")
  static let resumeLine = "interrupted: finished runs are cached; run the same command to resume"
  static let command = ["run", "tiny", "--scale", "smoke", "--jobs", "2", "--plain"]

  /// A started `dropbench` whose output is collected in the background.
  final class Running: @unchecked Sendable {
    let process = Process()
    private let err = Pipe()
    private let out = Pipe()
    private let lock = NSLock()
    private var stderrData = Data()
    private let drained = DispatchGroup()

    init(_ arguments: [String], in directory: URL) throws {
      process.executableURL = CLITests.binary
      process.arguments = arguments
      process.currentDirectoryURL = directory
      process.standardError = err
      process.standardOutput = out
      try process.run()
      for (pipe, keep) in [(err, true), (out, false)] {
        drained.enter()
        DispatchQueue.global().async { [self] in
          let data = pipe.fileHandleForReading.readDataToEndOfFile()
          if keep {
            lock.lock()
            stderrData = data
            lock.unlock()
          }
          drained.leave()
        }
      }
    }

    /// True once `main` has blocked SIGINT and SIGTERM: from then on a signal is the program's to handle (before
    /// it, the kernel's default ends the process, which is correct for a process that has started nothing).
    var handlesSignals: Bool {
      guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
        let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
      else { return false }
      return mask & 0x4002 == 0x4002
    }

    /// The worker processes: children of any of the runner's threads (the pool starts them from its own).
    var children: [pid_t] {
      let tasks = "/proc/\(process.processIdentifier)/task"
      return ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).flatMap { task in
        ((try? String(contentsOfFile: "\(tasks)/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ")
          .compactMap { pid_t($0) }
      }
    }

    /// Waits up to `seconds` for the exit; nil on timeout (the process is then killed).
    func wait(seconds: Double) -> (status: Int32, signalled: Bool, stderr: String)? {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning && Date() < deadline { usleep(5_000) }
      if process.isRunning {
        for child in children { kill(child, SIGKILL) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
      }
      process.waitUntilExit()
      drained.wait()
      lock.lock()
      defer { lock.unlock() }
      return (
        process.terminationStatus, process.terminationReason == .uncaughtSignal,
        String(decoding: stderrData, as: UTF8.self)
      )
    }
  }

  static func cacheFiles(_ dir: URL) -> (finished: Set<String>, temporary: [String]) {
    let names =
      (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".dropbench/cache").path)) ?? []
    return (Set(names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }), names.filter { $0.hasPrefix(".") })
  }

  /// Where in the sweep a trial's signal lands.
  enum Moment: CaseIterable { case startUp, training, reportWriting }

  @Test func signalAtRandomMomentsExits130AndLosesNothing() throws {
    var rng = SystemRandomNumberGenerator()
    let trials = Int(ProcessInfo.processInfo.environment["DROPBENCH_INTERRUPT_TRIALS"] ?? "") ?? 16
    var slowest = 0.0
    var interrupted = 0
    for trial in 0..<trials {
      let dir = try CLITests.workspace(Self.spec)
      defer { try? FileManager.default.removeItem(at: dir) }
      let running = try Running(Self.command, in: dir)
      let deadline = Date().addingTimeInterval(10)
      while !running.handlesSignals && running.process.isRunning && Date() < deadline { usleep(200) }
      let moment = Moment.allCases[trial % Moment.allCases.count]
      switch moment {
      case .startUp: usleep(UInt32.random(in: 0...150_000, using: &rng))
      case .training: usleep(UInt32.random(in: 150_000...1_200_000, using: &rng))
      case .reportWriting:
        // The results file appears right before the pages are written: signal as soon as it exists.
        let results = dir.appendingPathComponent("Reports/results/tiny.json").path
        while !FileManager.default.fileExists(atPath: results) && running.process.isRunning && Date() < deadline {
          usleep(500)
        }
      }
      let signal = Bool.random(using: &rng) ? SIGINT : SIGTERM
      // Ctrl-C on a terminal reaches the whole process group: half the trials signal the workers too.
      let group = Bool.random(using: &rng)
      let sent = Date()
      let workers = group ? running.children : []
      kill(running.process.processIdentifier, signal)
      for w in workers { kill(w, signal) }
      let result = try #require(running.wait(seconds: 5), "trial \(trial): no exit within 5 s of signal \(signal)")
      let finished = Self.cacheFiles(dir)
      #expect(finished.temporary.isEmpty, "trial \(trial): temporary files left: \(finished.temporary)")
      #expect(!result.signalled, "trial \(trial): killed by a signal instead of exiting 130")
      if result.status == 0 { continue }  // the sweep had already finished when the signal came
      interrupted += 1
      slowest = max(slowest, Date().timeIntervalSince(sent))
      let lines = result.stderr.split(separator: "\n").map(String.init)
      #expect(result.status == 130, "trial \(trial) (\(moment)): exit \(result.status)\n\(result.stderr)")
      #expect(lines.last == Self.resumeLine, "trial \(trial): \(result.stderr)")
      #expect(lines.filter { $0.hasPrefix("interrupted") }.count == 1)
      #expect(!result.stderr.contains("FAILED") && !result.stderr.contains("error"), "\(result.stderr)")
      // Every run reported done is in the cache, and a results file, if written, is complete.
      let reportedDone = lines.filter { $0.contains(" done (eta ") }
      #expect(finished.finished.count >= reportedDone.count, "trial \(trial): \(finished.finished.count) cached")
      if let data = FileManager.default.contents(atPath: dir.appendingPathComponent("Reports/results/tiny.json").path) {
        #expect((try? JSONSerialization.jsonObject(with: data)) != nil)
        #expect(finished.finished.count == 8)
      }
      // Resuming trains exactly what was not finished (checked on a few trials: it costs a second of training).
      if trial % 4 == 1 {
        let resumed = try CLITests.run(Self.command, in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let n = finished.finished.count
        #expect(resumed.stderr.contains("8 runs, \(n) cached, \(8 - n) to train"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("8 runs: \(8 - n) trained, \(n) cached, 0 failed"), "\(resumed.stderr)")
      }
    }
    #expect(interrupted > 0)
    #expect(slowest < 5)
  }

  /// Workers start from a runner that blocks SIGINT and SIGTERM (and Foundation passes the mask on): each must
  /// restore the defaults first thing, so Ctrl-C and the runner's SIGTERM stop it.
  @Test func workersRunWithDefaultSignalDispositions() throws {
    let dir = try CLITests.workspace(Self.spec)
    defer { try? FileManager.default.removeItem(at: dir) }
    let running = try Running(Self.command, in: dir)
    func masks(_ pid: pid_t) -> (blocked: UInt64, ignored: UInt64)? {
      guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
      func field(_ name: String) -> UInt64? {
        status.split(separator: "\n").first { $0.hasPrefix(name) }
          .flatMap { UInt64($0.dropFirst(name.count).trimmingCharacters(in: .whitespaces), radix: 16) }
      }
      guard let blocked = field("SigBlk:"), let ignored = field("SigIgn:") else { return nil }
      return (blocked, ignored)
    }
    var checked = Set<pid_t>()
    let deadline = Date().addingTimeInterval(10)
    while checked.count < 2 && running.process.isRunning && Date() < deadline {
      for worker in running.children where !checked.contains(worker) {
        // Right after exec the inherited mask is still there; the worker clears it before reading a job.
        let settle = Date().addingTimeInterval(2)
        var m = masks(worker)
        while let current = m, (current.blocked | current.ignored) & 0x4002 != 0, Date() < settle {
          usleep(1_000)
          m = masks(worker)
        }
        guard let final = m else { continue }  // already gone
        #expect(final.blocked & 0x4002 == 0 && final.ignored & 0x4002 == 0, "worker \(worker): \(final)")
        checked.insert(worker)
      }
      usleep(2_000)
    }
    #expect(checked.count == 2)
    #expect(running.wait(seconds: 60)?.status == 0)
  }

  /// A worker that dies mid-run (here: SIGKILL, as the OOM killer would) fails that run only; a fresh worker takes
  /// the rest, the summary counts every run, and the exit is 1. The next run trains just the failed ones.
  @Test func crashedWorkerIsReplacedAndEveryRunAccountedFor() throws {
    let dir = try CLITests.workspace(Self.spec)
    defer { try? FileManager.default.removeItem(at: dir) }
    let crashed = try CLITests.run(Self.command, in: dir, environment: ["DROPBENCH_TEST_CRASH_SEED": "1"])
    #expect(crashed.status == 1, "\(crashed.stderr)")
    #expect(crashed.stderr.contains("8 runs: 6 trained, 0 cached, 2 failed"), "\(crashed.stderr)")
    #expect(crashed.stderr.components(separatedBy: "worker killed by signal 9 during the run").count == 1 + 2 * 2)
    #expect(Self.cacheFiles(dir).finished.count == 6)
    let resumed = try CLITests.run(Self.command, in: dir)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("8 runs: 2 trained, 6 cached, 0 failed; verdict:"), "\(resumed.stderr)")
  }
}

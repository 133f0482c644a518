import Experiments
import Foundation
import NN

/// Messages between the runner and its worker processes: one JSON object per line.
struct WorkerJob: Codable {
  var key: String
  var config: RunConfig
  var configTree: ConfigValue
  var point: [String: ConfigValue]
  var cacheDirectory: String
}

struct WorkerMessage: Codable {
  enum Kind: String, Codable { case progress, done, failed }
  var kind: Kind
  var key: String
  var epoch: Int?
  var epochs: Int?
  var step: Int?
  var totalSteps: Int?
  var error: String?
}

/// The loop a `dropbench worker` process runs: read a job, train, store the result in the cache, answer.
/// The result file is complete before the answer is sent, so a killed runner loses nothing finished.
public enum WorkerLoop {
  public static func run() {
    let executor = RunExecutor()
    let output = FileHandle.standardOutput
    func send(_ message: WorkerMessage) {
      var data = (try? JSONEncoder().encode(message)) ?? Data()
      data.append(0x0A)
      output.write(data)
    }
    while let line = readLine(strippingNewline: true) {
      guard let job = try? JSONDecoder().decode(WorkerJob.self, from: Data(line.utf8)) else {
        send(WorkerMessage(kind: .failed, key: "", error: "malformed job line"))
        continue
      }
      var lastReport = Date.distantPast
      do {
        let record = try executor.execute(
          job.config, key: job.key, point: job.point, configTree: job.configTree,
          progress: { p in
            let now = Date()
            guard now.timeIntervalSince(lastReport) > 0.25 || p.step == p.totalSteps else { return }
            lastReport = now
            send(
              WorkerMessage(
                kind: .progress, key: job.key, epoch: p.epoch + 1, epochs: p.epochs, step: p.step,
                totalSteps: p.totalSteps
              ))
          })
        try RunCache(directory: URL(fileURLWithPath: job.cacheDirectory)).store(record)
        send(WorkerMessage(kind: .done, key: job.key))
      } catch {
        send(WorkerMessage(kind: .failed, key: job.key, error: "\(error)"))
      }
    }
  }
}

/// A pool of `dropbench worker` processes fed from one queue. Each worker trains one run at a time on one thread.
final class WorkerPool: @unchecked Sendable {
  private let executable: URL
  private let jobs: Int
  private let lock = NSLock()
  private var processes: [Process] = []

  init(executable: URL, jobs: Int) {
    self.executable = executable
    self.jobs = jobs
  }

  /// Trains `queue` on up to `processes` fresh workers with Ctrl-C / SIGTERM stopping them (then throws
  /// `RunnerError.interrupted`); `onMessage` sees every message. Returns the failed jobs as (key, error).
  static func train(
    _ queue: [WorkerJob], executable: URL, processes: Int, onMessage: @escaping @Sendable (WorkerMessage) -> Void
  ) throws -> [(key: String, error: String)] {
    let failures = FailureLog()
    let pool = WorkerPool(executable: executable, jobs: processes)
    let interrupt = InterruptHandler.install { pool.terminate() }
    defer { interrupt.cancel() }
    try pool.run(queue) { message in
      if message.kind == .failed { failures.add(message.key, message.error ?? "unknown error") }
      onMessage(message)
    }
    if InterruptHandler.wasInterrupted { throw RunnerError.interrupted }
    return failures.entries.map { (key: $0.0, error: $0.1) }
  }

  /// Runs every job; `onMessage` is called (serialised) for each worker message. Returns when all jobs answered.
  func run(_ queue: [WorkerJob], onMessage: @escaping @Sendable (WorkerMessage) -> Void) throws {
    let pending = JobQueue(queue)
    let group = DispatchGroup()
    var launchError: Error?
    for _ in 0..<min(jobs, queue.count) {
      let process = Process()
      process.executableURL = executable
      process.arguments = ["worker"]
      let input = Pipe()
      let output = Pipe()
      process.standardInput = input
      process.standardOutput = output
      process.standardError = FileHandle.standardError
      do { try process.run() } catch {
        launchError = error
        break
      }
      lock.lock()
      processes.append(process)
      lock.unlock()
      group.enter()
      Thread.detachNewThread { [lock] in
        defer { group.leave() }
        let reader = LineReader(output.fileHandleForReading)
        while let job = pending.next() {
          var data = (try? JSONEncoder().encode(job)) ?? Data()
          data.append(0x0A)
          input.fileHandleForWriting.write(data)
          var answered = false
          while let line = reader.next() {
            guard let message = try? JSONDecoder().decode(WorkerMessage.self, from: Data(line.utf8)) else { continue }
            lock.lock()
            onMessage(message)
            lock.unlock()
            if message.kind != .progress {
              answered = true
              break
            }
          }
          if !answered {
            lock.lock()
            onMessage(WorkerMessage(kind: .failed, key: job.key, error: "worker exited during the run"))
            lock.unlock()
            return
          }
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
      }
    }
    group.wait()
    if let launchError { throw RunnerError.workerFailed("\(launchError)") }
  }

  /// Stops every worker (on Ctrl-C); what they finished is already in the cache.
  func terminate() {
    lock.lock()
    defer { lock.unlock() }
    for p in processes where p.isRunning { p.terminate() }
  }
}

/// The jobs not yet handed to a worker.
final class JobQueue: @unchecked Sendable {
  private let lock = NSLock()
  private var jobs: ArraySlice<WorkerJob>

  init(_ jobs: [WorkerJob]) { self.jobs = jobs[...] }

  func next() -> WorkerJob? {
    lock.lock()
    defer { lock.unlock() }
    return jobs.popFirst()
  }
}

/// Splits a pipe's bytes into lines.
final class LineReader {
  private let handle: FileHandle
  private var buffer = Data()

  init(_ handle: FileHandle) { self.handle = handle }

  func next() -> String? {
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = buffer[buffer.startIndex..<newline]
        buffer.removeSubrange(buffer.startIndex...newline)
        return String(decoding: line, as: UTF8.self)
      }
      let chunk = handle.availableData
      if chunk.isEmpty { return nil }
      buffer.append(chunk)
    }
  }
}

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
  /// Runs that differ from this one only in `eval`: trained once with it, each evaluated and stored under its key.
  var siblings: [RunExecutor.Sibling]? = nil
  /// A calibration pilot (`Calibrator`): trained without evaluating the test split, stored under a pilot key.
  var pilot: Bool? = nil

  /// Every cache key this job stores.
  var keys: [String] { [key] + (siblings ?? []).map(\.key) }
}

struct WorkerMessage: Codable {
  /// `busy`: another process holds the run's lock (it is training it); `cached`: another process finished it
  /// before this worker got the lock. Neither trains anything here.
  enum Kind: String, Codable { case progress, done, failed, busy, cached }
  var kind: Kind
  var key: String
  var epoch: Int?
  var epochs: Int?
  var step: Int?
  var totalSteps: Int?
  var error: String?
  /// The epoch's mean training loss so far (progress messages).
  var loss: Double? = nil
}

/// The loop a `dropbench worker` process runs: read a job, lock it, train, store the result in the cache, answer.
/// The result file is complete before the answer is sent, so a killed runner loses nothing finished. The run's lock
/// is held from before training until after the result is stored, so no other process trains it meanwhile.
public enum WorkerLoop {
  public static func run() {
    let executor = RunExecutor()
    let output = FileHandle.standardOutput
    func send(_ message: WorkerMessage) {
      var data = (try? JSONEncoder().encode(message)) ?? Data()
      data.append(0x0A)
      output.write(data)
    }
    // Tests crash a worker on purpose, as a segfault or the OOM killer would: the pool must fail that run only and
    // hand the rest to a fresh worker. Read once, so the check costs nothing per run.
    let crashSeed = ProcessInfo.processInfo.environment["DROPBENCH_TEST_CRASH_SEED"].flatMap { Int($0) }
    while let line = readLine(strippingNewline: true) {
      guard let job = try? JSONDecoder().decode(WorkerJob.self, from: Data(line.utf8)) else {
        send(WorkerMessage(kind: .failed, key: "", error: "malformed job line"))
        continue
      }
      let cache = RunCache(directory: URL(fileURLWithPath: job.cacheDirectory))
      let lock: RunLock
      do {
        guard let acquired = try RunLock.acquire(cache.lockURL(for: job.key)) else {
          send(WorkerMessage(kind: .busy, key: job.key))
          continue
        }
        lock = acquired
      } catch {
        send(WorkerMessage(kind: .failed, key: job.key, error: "\(error)"))
        continue
      }
      defer { lock.release() }
      // Finished by another process between the runner's look at the cache and this lock.
      if cache.load(job.key) != nil {
        send(WorkerMessage(kind: .cached, key: job.key))
        continue
      }
      if let crashSeed, job.config.seed == crashSeed { kill(getpid(), SIGKILL) }
      var lastReport = Date.distantPast
      do {
        executor.cacheDirectory = URL(fileURLWithPath: job.cacheDirectory)
        executor.pilot = job.pilot ?? false
        let records = try executor.execute(
          job.config, key: job.key, point: job.point, configTree: job.configTree, siblings: job.siblings ?? [],
          progress: { p in
            let now = Date()
            guard now.timeIntervalSince(lastReport) > 0.25 || p.step == p.totalSteps else { return }
            lastReport = now
            send(
              WorkerMessage(
                kind: .progress, key: job.key, epoch: p.epoch + 1, epochs: p.epochs, step: p.step,
                totalSteps: p.totalSteps, loss: p.loss.flatMap { $0.isFinite ? $0 : nil }
              ))
          })
        // Siblings first: the job's own record is what marks the whole group done.
        for record in records.reversed() { try cache.store(record) }
        lock.release()  // before the answer: the runner may look at the lock as soon as it reads it
        send(WorkerMessage(kind: .done, key: job.key))
      } catch {
        lock.release()
        send(WorkerMessage(kind: .failed, key: job.key, error: "\(error)"))
      }
    }
  }
}

/// A pool of `dropbench worker` processes fed from one queue. Each worker trains one run at a time on one thread.
/// A worker that dies during a run (a crash, the OOM killer) fails that run only: a fresh worker takes the rest.
final class WorkerPool: @unchecked Sendable {
  private let executable: URL
  private let jobs: Int
  private let lock = NSLock()
  private var processes: [Process] = []
  private var pending = JobQueue([])
  private var stopped = false

  init(executable: URL, jobs: Int) {
    self.executable = executable
    self.jobs = jobs
  }

  /// Trains `queue` on up to `processes` workers; Ctrl-C / SIGTERM stop them (`Interrupts`: the process then exits
  /// 130 and this never returns). `onMessage` sees every message. Returns the failed jobs as (key, error); jobs
  /// neither done nor failed were not attempted (every worker failed to start).
  static func train(
    _ queue: [WorkerJob], executable: URL, processes: Int, onMessage: @escaping @Sendable (WorkerMessage) -> Void
  ) throws -> [(key: String, error: String)] {
    let failures = FailureLog()
    let pool = WorkerPool(executable: executable, jobs: processes)
    let registration = Interrupts.onInterrupt { pool.stop() }
    defer { registration.cancel() }
    pool.run(queue) { message in
      if message.kind == .failed { failures.add(message.key, message.error ?? "unknown error") }
      onMessage(message)
    }
    Interrupts.parkIfInterrupted()
    return failures.entries.map { (key: $0.0, error: $0.1) }
  }

  /// Runs every job; `onMessage` is called (serialised) for each worker message. Returns when all jobs answered.
  func run(_ queue: [WorkerJob], onMessage: @escaping @Sendable (WorkerMessage) -> Void) {
    lock.lock()
    pending = JobQueue(queue)
    lock.unlock()
    let group = DispatchGroup()
    for _ in 0..<min(jobs, queue.count) {
      group.enter()
      Thread.detachNewThread { [self] in
        defer { group.leave() }
        serve(onMessage)
      }
    }
    group.wait()
  }

  /// One slot of the pool: hands jobs to its worker, starting a fresh one whenever the last has died.
  private func serve(_ onMessage: @escaping @Sendable (WorkerMessage) -> Void) {
    func report(_ message: WorkerMessage) {
      lock.lock()
      onMessage(message)
      lock.unlock()
    }
    var worker: Connection?
    while let job = nextJob(report) {
      if worker == nil {
        do { worker = try launch() } catch {
          if !isStopped {
            report(WorkerMessage(kind: .failed, key: job.key, error: "could not start a worker: \(error)"))
          }
          return
        }
      }
      guard let connection = worker else { return }
      if let message = connection.train(job, onProgress: report) {
        if message.kind == .busy {
          pending.setAside(job)
        } else {
          report(message)
        }
        continue
      }
      // The worker died during the run. Killed by SIGINT/SIGTERM usually means Ctrl-C reached the whole process
      // group: give the signal thread a moment to record it, so the run is not misreported as a failure.
      let death = connection.waitForExit()
      if death.bySignal && [SIGINT, SIGTERM].contains(death.code) {
        for _ in 0..<50 where !Interrupts.wasInterrupted && !isStopped { usleep(10_000) }
      }
      if Interrupts.wasInterrupted || isStopped { return }
      report(WorkerMessage(kind: .failed, key: job.key, error: "worker \(death) during the run (replaced)"))
      worker = nil
    }
    worker?.finish()
  }

  private var isStopped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return stopped
  }

  /// The next job to train: a queued one, else one set aside because another process held its lock, once that
  /// lock is gone without a result. A set-aside run that another process finished is reported `cached` here. nil
  /// when nothing is left (or the pool stopped); a slot stays while runs are set aside, to train them if need be.
  private func nextJob(_ report: (WorkerMessage) -> Void) -> WorkerJob? {
    while !isStopped {
      switch pending.take() {
      case .job(let job): return job
      case .done: return nil
      case .wait: usleep(100_000)
      case .poll(let waiting):
        var free: [WorkerJob] = []
        var held: [WorkerJob] = []
        for job in waiting {
          let cache = RunCache(directory: URL(fileURLWithPath: job.cacheDirectory))
          if cache.load(job.key) != nil {
            report(WorkerMessage(kind: .cached, key: job.key))
          } else if RunLock.isHeld(cache.lockURL(for: job.key)) {
            held.append(job)
          } else {
            free.append(job)  // its trainer died or failed: train it here
          }
        }
        pending.polled(free: free, held: held)
      }
    }
    return nil
  }

  private func launch() throws -> Connection {
    let process = Process()
    process.executableURL = executable
    process.arguments = ["worker"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    lock.lock()
    defer { lock.unlock() }
    // Checked under the lock `stop()` takes, so no worker starts after an interrupt has stopped the others.
    if stopped { throw RunnerError.interrupted }
    try process.run()
    processes.append(process)
    return Connection(process: process, input: input, output: output)
  }

  /// Stops handing out jobs and stops every worker (on Ctrl-C); what they finished is already in the cache.
  /// Waits up to two seconds for them to exit, then kills what is left, so no run goes on training unseen.
  func stop() {
    lock.lock()
    stopped = true
    let running = processes.filter(\.isRunning)
    lock.unlock()
    for p in running { kill(p.processIdentifier, SIGTERM) }
    let deadline = Date().addingTimeInterval(2)
    while running.contains(where: \.isRunning) && Date() < deadline { usleep(10_000) }
    for p in running where p.isRunning { kill(p.processIdentifier, SIGKILL) }
  }
}

/// One worker process and its pipes.
final class Connection {
  let process: Process
  private let input: Pipe
  private let reader: LineReader

  init(process: Process, input: Pipe, output: Pipe) {
    self.process = process
    self.input = input
    reader = LineReader(output.fileHandleForReading)
  }

  /// Sends `job` and reads progress until its answer (done or failed); nil when the worker died first.
  func train(_ job: WorkerJob, onProgress: (WorkerMessage) -> Void) -> WorkerMessage? {
    var data = (try? JSONEncoder().encode(job)) ?? Data()
    data.append(0x0A)
    // A dead worker's pipe would raise SIGPIPE; the write then fails and the read below sees end of file.
    signal(SIGPIPE, SIG_IGN)
    try? input.fileHandleForWriting.write(contentsOf: data)
    while let line = reader.next() {
      guard let message = try? JSONDecoder().decode(WorkerMessage.self, from: Data(line.utf8)) else { continue }
      if message.kind == .progress {
        onProgress(message)
      } else {
        return message
      }
    }
    return nil
  }

  struct Death: CustomStringConvertible {
    var bySignal: Bool
    var code: Int32
    var description: String { bySignal ? "killed by signal \(code)" : "exited with status \(code)" }
  }

  func waitForExit() -> Death {
    process.waitUntilExit()
    return Death(bySignal: process.terminationReason == .uncaughtSignal, code: process.terminationStatus)
  }

  /// No more jobs: closing stdin ends the worker's loop.
  func finish() {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }
}

/// The jobs not yet handed to a worker, and those set aside while another process trains them.
final class JobQueue: @unchecked Sendable {
  /// How often set-aside runs are looked at: their cache file, or their lock released without one.
  static let pollInterval: TimeInterval = 0.5

  enum Take {
    case job(WorkerJob)
    /// Look at these set-aside jobs, then hand them back with `polled`.
    case poll([WorkerJob])
    /// Nothing to train now, but set-aside jobs remain: ask again shortly.
    case wait
    case done
  }

  private let lock = NSLock()
  private var jobs: ArraySlice<WorkerJob>
  private var waiting: [WorkerJob] = []
  private var polling = false
  private var nextPoll = Date.distantPast

  init(_ jobs: [WorkerJob]) { self.jobs = jobs[...] }

  func take() -> Take {
    lock.lock()
    defer { lock.unlock() }
    if let job = jobs.popFirst() { return .job(job) }
    if !waiting.isEmpty && !polling && Date() >= nextPoll {
      polling = true
      defer { waiting = [] }
      return .poll(waiting)
    }
    return waiting.isEmpty && !polling ? .done : .wait
  }

  func setAside(_ job: WorkerJob) {
    lock.lock()
    waiting.append(job)
    lock.unlock()
  }

  func polled(free: [WorkerJob], held: [WorkerJob]) {
    lock.lock()
    jobs.append(contentsOf: free)
    waiting += held
    polling = false
    nextPoll = Date().addingTimeInterval(Self.pollInterval)
    lock.unlock()
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

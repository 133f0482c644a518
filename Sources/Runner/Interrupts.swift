import Foundation

/// Ctrl-C and SIGTERM for the whole `dropbench` process: exit 130 with one line, losing nothing finished.
///
/// `install()` runs first thing in `main`, before any other thread exists: it blocks SIGINT and SIGTERM (every
/// thread created later inherits the mask) and takes them on one thread with `sigwait`. There is no moment in which
/// a signal is ignored or default-handled, unlike switching dispositions with `signal(_:_:)` while threads start.
/// On a signal the thread stops every registered worker pool, waits for a write in progress (`critical`) to finish,
/// and exits 130. Everything written is temp file + rename, and workers store a run before they report it, so
/// exiting between writes keeps every finished run and never leaves a half-written file.
public enum Interrupts {
  private static let state = State()
  /// Held around every write the process must not abandon half-done (a results file, the report pages).
  private static let writing = NSRecursiveLock()

  /// True once SIGINT or SIGTERM arrived (only in a process that called `install()`).
  public static var wasInterrupted: Bool { state.interrupted }

  /// The line printed on interrupt; commands set what "interrupted" means for them.
  public static func setMessage(_ message: String) { state.setMessage(message) }

  public static func install() {
    var set = signals()
    pthread_sigmask(SIG_BLOCK, &set, nil)
    let thread = Thread { waitForSignal() }
    thread.name = "dropbench-signals"
    thread.start()
  }

  /// For worker processes. A worker is spawned by a process that blocks SIGINT and SIGTERM, and Foundation's
  /// `Process` passes the mask (and any ignored disposition) on unchanged: restore both defaults so Ctrl-C and the
  /// pool's SIGTERM stop it. A signal that came while blocked is still pending and is delivered here.
  public static func restoreDefaults() {
    signal(SIGPIPE, SIG_DFL)  // the runner ignores it; a worker whose runner is gone should just end
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    var set = signals()
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  /// Runs `body` to completion even if a signal arrives meanwhile; the process exits 130 right after it.
  public static func critical<T>(_ body: () throws -> T) rethrows -> T {
    writing.lock()
    defer { writing.unlock() }
    return try body()
  }

  /// Calls `stop` on interrupt (at once if already interrupted) until the returned token is cancelled.
  public static func onInterrupt(_ stop: @escaping @Sendable () -> Void) -> Registration {
    state.register(stop)
  }

  /// Never returns when an interrupt is being handled: the signal thread is about to exit the process, and the
  /// caller must not print a summary or a failure for runs the interrupt stopped.
  public static func parkIfInterrupted() {
    guard state.interrupted else { return }
    while true { sleep(60) }
  }

  private static func signals() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    return set
  }

  private static func waitForSignal() {
    var set = signals()
    var received: Int32 = 0
    while sigwait(&set, &received) != 0 {}
    let (stops, message) = state.interrupt()
    for stop in stops { stop() }
    writing.lock()  // never unlocked: the process ends here, after the write in progress
    fflush(nil)  // every C stream: what was printed before the interrupt is kept
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    _exit(130)
  }

  public final class Registration: @unchecked Sendable {
    fileprivate let id: Int
    fileprivate init(id: Int) { self.id = id }
    public func cancel() { Interrupts.state.unregister(id) }
  }

  private final class State: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var message = "interrupted"
    private var stops: [Int: @Sendable () -> Void] = [:]
    private var nextID = 0

    var interrupted: Bool {
      lock.lock()
      defer { lock.unlock() }
      return flag
    }

    func setMessage(_ m: String) {
      lock.lock()
      message = m
      lock.unlock()
    }

    func register(_ stop: @escaping @Sendable () -> Void) -> Registration {
      lock.lock()
      nextID += 1
      let id = nextID
      let already = flag
      if !already { stops[id] = stop }
      lock.unlock()
      if already { stop() }
      return Registration(id: id)
    }

    func unregister(_ id: Int) {
      lock.lock()
      stops[id] = nil
      lock.unlock()
    }

    func interrupt() -> ([@Sendable () -> Void], String) {
      lock.lock()
      defer { lock.unlock() }
      flag = true
      return (Array(stops.values), message)
    }
  }
}

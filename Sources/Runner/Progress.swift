import Foundation
import NumberFormat

/// Progress of a sweep. On a terminal: one live line per experiment with runs done/total, an ETA and each running
/// run's epoch and training loss, cut to the terminal's width (a wrapped line would leave debris at every redraw).
/// Otherwise (CI, logs): one plain line per finished run.
public final class ProgressDisplay: @unchecked Sendable {
  private let interactive: Bool
  private let lock = NSLock()
  private var experiment = ""
  private var total = 0
  private var done = 0
  private var toRun = 0
  private var finishedThisSession = 0
  private var started = Date()
  private var current: [String: String] = [:]
  private var lastDraw = Date.distantPast
  private let quiet: Bool

  public init(interactive: Bool = isatty(STDERR_FILENO) != 0, quiet: Bool = false) {
    self.interactive = interactive
    self.quiet = quiet
  }

  private func write(_ s: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data(s.utf8))
  }

  func begin(experiment id: String, total: Int, cached: Int, toRun: Int) {
    lock.lock()
    defer { lock.unlock() }
    experiment = id
    self.total = total
    done = cached
    self.toRun = toRun
    finishedThisSession = 0
    started = Date()
    current = [:]
    write("\(id): \(total) runs, \(cached) cached, \(toRun) to train\n")
  }

  func update(key: String, label: String, epoch: Int, epochs: Int, step: Int, totalSteps: Int, loss: Double? = nil) {
    lock.lock()
    defer { lock.unlock() }
    current[key] = "\(label) epoch \(epoch)/\(epochs)" + (loss.map { " loss " + Self.loss($0) } ?? "")
    guard interactive, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
    lastDraw = Date()
    draw()
  }

  func finished(key: String, label: String, failed: String?) {
    lock.lock()
    defer { lock.unlock() }
    current[key] = nil
    done += 1
    finishedThisSession += 1
    if interactive {
      if let failed { write("\r\u{1B}[K\(experiment): FAILED \(label): \(failed)\n") }
      draw()
    } else {
      let status = failed.map { "FAILED: \($0)" } ?? "done"
      write("\(experiment): [\(done)/\(total)] \(label) \(status) (eta \(eta()))\n")
    }
  }

  /// The experiment's summary: every run counted once, as trained, cached, failed or not attempted.
  func end(experiment id: String, tally: RunTally, verdict: String?) {
    lock.lock()
    defer { lock.unlock() }
    if interactive { write("\r\u{1B}[K") }
    if let verdict {
      write("\(id): \(tally.summary); verdict: \(verdict)\n")
    } else {
      write("\(id): \(tally.summary); results are written once every run is cached\n")
    }
  }

  private func eta() -> String {
    guard finishedThisSession > 0 else { return "?" }
    let perRun = Date().timeIntervalSince(started) / Double(finishedThisSession)
    return Fmt.clock(perRun * Double(toRun - finishedThisSession))
  }

  private func draw() {
    let running = current.values.sorted().joined(separator: " | ")
    write("\r\u{1B}[K" + Self.line(experiment, done: done, total: total, eta: eta(), running: running, width: Self.columns()))
  }

  /// The live line, at most `width - 1` characters (the last column would wrap on some terminals): the bar shrinks
  /// first, then the running runs' text is cut with an ellipsis.
  static func line(_ experiment: String, done: Int, total: Int, eta: String, running: String, width: Int) -> String {
    let limit = max(20, width - 1)
    let counts = "\(done)/\(total) eta \(eta)"
    let barWidth = max(0, min(24, limit - experiment.count - counts.count - 5))
    let filled = total > 0 ? barWidth * min(done, total) / total : barWidth
    let bar = barWidth > 0 ? " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]" : ""
    var text = "\(experiment)\(bar) \(counts)"
    if !running.isEmpty { text += "  " + running }
    return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
  }

  /// The terminal's width (stderr's window size, else `COLUMNS`, else 80).
  static func columns() -> Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) } ?? 80
  }

  static func loss(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : Fmt.decimals(value, value >= 1 ? 2 : 3)
  }
}

import Foundation

/// The one way DropBench runs another program (`git`, `gnuplot`, `nproc`, a bench workload) to completion and
/// captures its output. Stdout and stderr are read concurrently, so a chatty program cannot block on a full pipe;
/// stdin is /dev/null, so nothing waits for a terminal.
///
/// swift-subprocess would do the same through an async API; this synchronous one is forty lines and adds no
/// dependency to the CI build.
public enum Subprocess {
  public struct Output: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  }

  /// Runs `/usr/bin/env <arguments…>` in `directory` (the current directory when nil). `watch`, when given, is
  /// called with the child's pid as soon as it runs and returns what to call once it has exited: a caller uses it
  /// to forward Ctrl-C to a long child and then stop forwarding.
  public static func run(
    _ arguments: [String], in directory: URL? = nil, watch: ((Int32) -> () -> Void)? = nil
  ) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stopWatching = watch?(process.processIdentifier)
    defer { stopWatching?() }
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Output(status: process.terminationStatus, stdout: data, stderr: String(decoding: errData, as: UTF8.self))
  }

  /// Stdout as text when the program ran and exited 0, else nil.
  public static func text(_ arguments: [String], in directory: URL? = nil) -> String? {
    guard let output = try? run(arguments, in: directory), output.status == 0 else { return nil }
    return output.stdoutText
  }

  /// True when `name` is an executable file in a `PATH` directory.
  public static func onPath(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").contains { dir in
      FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)")
    }
  }
}

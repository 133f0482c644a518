import Foundation

/// Runs a program to completion and captures its output (used for `git` and `gnuplot`).
enum Subprocess {
  struct Output {
    var status: Int32
    var stdout: Data
    var stderr: String
  }

  /// Runs `/usr/bin/env <arguments…>` in `directory` (the current directory when nil).
  /// Stdout and stderr are read concurrently, so a chatty program cannot block on a full pipe, and no temporary
  /// file is left behind if this process is killed.
  static func run(_ arguments: [String], in directory: URL? = nil) throws -> Output {
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

  /// True when `name` is an executable file in a `PATH` directory.
  static func onPath(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").contains { dir in
      FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)")
    }
  }
}

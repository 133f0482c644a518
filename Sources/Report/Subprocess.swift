import Foundation

/// Runs a program to completion and captures its output (used for `git` and `gnuplot`).
enum Subprocess {
  struct Output {
    var status: Int32
    var stdout: Data
    var stderr: String
  }

  /// Runs `/usr/bin/env <arguments…>` in `directory` (the current directory when nil).
  /// Standard error goes to a temporary file, so a chatty program cannot block on a full pipe while stdout is read.
  static func run(_ arguments: [String], in directory: URL? = nil) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-stderr-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    let errHandle = try FileHandle(forWritingTo: errURL)
    defer { try? errHandle.close() }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return Output(status: process.terminationStatus, stdout: data, stderr: err)
  }

  /// True when `name` is an executable file in a `PATH` directory.
  static func onPath(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").contains { dir in
      FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)")
    }
  }
}

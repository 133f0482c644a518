import Experiments
import Foundation
import Tensor

/// Facts about where and how results were produced. Recorded, never compared bit for bit.
public enum ProvenanceCollector {
  public static func collect(
    specHash: String, datasetChecksums: [String: String], kernels: KernelInfo, regularizers: [String] = []
  ) -> Provenance {
    let commit = Shell.run("git", ["rev-parse", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    // Reports/ is written by the run itself, so it does not make the code dirty.
    let status =
      Shell.run("git", ["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)Reports"]) ?? ""
    return Provenance(
      gitCommit: commit.isEmpty ? "unknown" : commit, gitDirty: !status.isEmpty, specHash: specHash,
      engineVersion: EngineVersion.current, datasetChecksums: datasetChecksums, swiftVersion: swiftVersion,
      blasCoreType: kernels.selection.blasCoreType, blasConfig: kernels.blasConfig, dnnlISA: kernels.selection.dnnlISA,
      dnnlVersion: kernels.dnnlVersion, cpuModel: kernels.cpuModel, targetCPU: EngineVersion.targetCPU,
      regularizerVersions: regularizers.isEmpty
        ? nil : Dictionary(regularizers.map { ($0, EngineVersion.regularizer($0)) }) { a, _ in a })
  }

  /// The compiler that built this binary.
  public static var swiftVersion: String {
    #if compiler(>=6.4)
      return "6.4+"
    #elseif compiler(>=6.3)
      return "6.3"
    #elseif compiler(>=6.2)
      return "6.2"
    #else
      return "<6.2"
    #endif
  }
}

/// Runs a command and returns its standard output, or nil if it could not run or exited non-zero.
public enum Shell {
  public static func run(_ command: String, _ arguments: [String], in directory: URL? = nil) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [command] + arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  /// Runs a command and returns (exit status, stdout, stderr).
  public static func capture(_ command: String, _ arguments: [String], in directory: URL? = nil) -> (
    Int32, Data, String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [command] + arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return (127, Data(), "\(command): \(error)") }
    // A long child (a bench workload) must not go on alone after Ctrl-C or SIGTERM ended this process.
    let pid = process.processIdentifier
    let registration = Interrupts.onInterrupt { kill(pid, SIGTERM) }
    defer { registration.cancel() }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data, String(decoding: errData, as: UTF8.self))
  }
}

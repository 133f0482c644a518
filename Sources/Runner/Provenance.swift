import Experiments
import Foundation
import Subprocesses
import Tensor

/// Facts about where and how results were produced. Recorded, never compared bit for bit.
public enum ProvenanceCollector {
  /// The commit checked out here (`git rev-parse HEAD`), or "unknown".
  public static func gitCommit() -> String {
    let commit = Subprocess.text(["git", "rev-parse", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    return commit.isEmpty ? "unknown" : commit
  }

  public static func collect(
    specHash: String, datasetChecksums: [String: String], kernels: KernelInfo, regularizers: [String] = []
  ) -> Provenance {
    let commit = gitCommit()
    // Reports/ is written by the run itself, so it does not make the code dirty.
    let status =
      Subprocess.text(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)Reports"]) ?? ""
    return Provenance(
      gitCommit: commit, gitDirty: !status.isEmpty, specHash: specHash,
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

extension Subprocess {
  /// Runs a long child and forwards Ctrl-C / SIGTERM to it, so it does not go on alone after this process ends.
  public static func runForwardingInterrupts(_ arguments: [String]) throws -> Output {
    try run(arguments) { pid in
      let registration = Interrupts.onInterrupt { kill(pid, SIGTERM) }
      return { registration.cancel() }
    }
  }
}

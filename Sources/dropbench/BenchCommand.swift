import ArgumentParser
import Benchmarks
import Datasets
import Experiments
import Foundation
import NumberFormat
import Report
import Runner
import Subprocesses
import Tensor

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Engine throughput on W1–W5 vs the machine's sgemm peak (and the PyTorch peer); writes Reports/bench.{json,md}.",
    discussion: """
      One thread. Each workload trains one epoch of Fashion-MNIST at batch 128 in its own process (so peak memory \
      is per workload), then evaluates the test set at batch 1000. With --peer-script (what `make bench-peer` \
      passes) the PyTorch CPU peer runs the same workloads alternately with ours, --rounds times each \
      (ours, peer, ours, peer …), and the page shows medians, ratios and the engine-speed targets, then the \
      per-layer profile of each workload short of a training target.
      """)
  @Option(help: "Run one workload in this process and print its JSON (used internally).") var workload: String?
  @Option(help: "The PyTorch peer script (Tests/Peer/pytorch_cpu_bench.py): alternate it with ours per workload.")
  var peerScript: String?
  @Option(help: "The Python that has torch, for --peer-script.") var peerPython = "python3"
  @Option(help: "Rounds per workload (each: ours, then the peer's).") var rounds = 1
  @Option(help: "Limit training steps per workload (quick smoke check).") var maxSteps: Int?
  @Flag(help: "With --workload: print per-layer forward/backward milliseconds per training step instead.")
  var layers = false
  @Flag(help: "With --workload --layers: print the profile as JSON (used internally).") var json = false
  @OptionGroup var paths: Paths

  func validate() throws {
    if let workload, !Benchmark.workloads.contains(workload) {
      throw ValidationError(
        "unknown workload '\(workload)' for --workload; choices: \(Benchmark.workloads.joined(separator: ", "))")
    }
    if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1, got \(maxSteps)") }
    if json && (workload == nil || !layers) {
      throw ValidationError("--json goes with --workload W --layers (the per-layer profile as JSON)")
    }
    if rounds < 1 { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
    if let peerScript, !FileManager.default.fileExists(atPath: peerScript) {
      throw ValidationError("--peer-script \(peerScript) does not exist (the peer is Tests/Peer/pytorch_cpu_bench.py)")
    }
  }

  func run() throws {
    try guarded {
      let kernels = try BLAS.configure(KernelSelection.automatic())
      if let workload {
        let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions())
        if layers {
          let profile = try LayerProfile.run(workload, data: data, steps: maxSteps ?? 200)
          print(
            json ? String(decoding: try Runner.JSON.encode(profile), as: UTF8.self) : LayerProfile.table(profile),
            terminator: "")
          return
        }
        let result = try Benchmark.workload(workload, data: data, maxSteps: maxSteps)
        print(String(decoding: try Runner.JSON.encode(result), as: UTF8.self), terminator: "")
        return
      }
      let gemm = [1024, 2048].map { Benchmark.gemm(n: $0) }
      let peak = gemm.map(\.gflops).max() ?? 1
      var rows: [PeerComparison.Row] = []
      var torch = "–"
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-peer-\(getpid()).json")
      defer { try? FileManager.default.removeItem(at: scratch) }
      for w in Benchmark.workloads {
        var row = PeerComparison.Row(workload: w, description: "", ours: [], peer: [])
        let peerName = peerScript == nil ? nil : PeerComparison.peerNames[w]
        for round in 1...rounds {
          log("bench: \(w) round \(round)/\(rounds): DropBench…")
          var r = try ours(w)
          r.percentOfPeak = 100 * r.trainGFLOPS / peak
          row.description = r.description
          row.ours.append(r)
          if let peerScript, let peerName {
            log("bench: \(w) round \(round)/\(rounds): PyTorch (\(peerName))…")
            let (run, version) = try peer(peerScript, peerName, json: scratch)
            row.peer.append(run)
            torch = version
          }
        }
        rows.append(row)
      }
      var sitting = PeerComparison.Sitting(
        date: ISO8601DateFormatter().string(from: Date()), machine: Self.machine(kernels), kernels: kernels,
        gemm: gemm, torch: torch, rounds: rounds, maxSteps: maxSteps, rows: rows)
      if peerScript != nil {
        // What stands in the way of each training target not met: the workload's per-layer profile.
        sitting.profiles = try PeerComparison.workloadsShortOfTrainingTargets(sitting).map { w in
          log("bench: \(w): per-layer profile…")
          return try profile(w)
        }
      }
      let dir = URL(fileURLWithPath: paths.reports)
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try AtomicFile.write(Runner.JSON.encode(sitting), to: dir.appendingPathComponent("bench.json"))
      print(try BenchPage.write(sitting, reports: dir), terminator: "")
    }
  }

  private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

  /// One of our workloads in a fresh process (so peak memory is per workload).
  private func ours(_ w: String) throws -> Benchmark.WorkloadResult {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    var args = ["bench", "--workload", w]
    if let maxSteps { args += ["--max-steps", String(maxSteps)] }
    let output = try Subprocess.runForwardingInterrupts([exe] + args)
    guard output.status == 0 else { throw UserFacingError(message: "bench \(w) failed: \(output.stderr)", code: 1) }
    return try JSONDecoder().decode(Benchmark.WorkloadResult.self, from: output.stdout)
  }

  /// One workload's per-layer training profile in a fresh process.
  private func profile(_ w: String) throws -> LayerProfile.Profile {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    var args = ["bench", "--workload", w, "--layers", "--json"]
    if let maxSteps { args += ["--max-steps", String(maxSteps)] }
    let output = try Subprocess.runForwardingInterrupts([exe] + args)
    guard output.status == 0 else {
      throw UserFacingError(message: "bench --layers \(w) failed: \(output.stderr)", code: 1)
    }
    return try JSONDecoder().decode(LayerProfile.Profile.self, from: output.stdout)
  }

  /// The peer on one workload, one thread (its gemm and determinism parts skipped).
  private func peer(_ script: String, _ name: String, json: URL) throws -> (PeerComparison.PeerRun, String) {
    let output = try Subprocess.runForwardingInterrupts([
      peerPython, script, "--threads", "1", "--workloads", name, "--skip-gemm", "--skip-det", "--json", json.path,
    ])
    guard output.status == 0, let data = FileManager.default.contents(atPath: json.path),
      let parsed = PeerComparison.parsePeer(data, workload: name)
    else {
      let last = output.stderr.split(separator: "\n").last.map(String.init) ?? "no output"
      throw UserFacingError(
        message: "the PyTorch peer failed on \(name) (\(peerPython) \(script)): \(last); `make bench-peer` creates its venv",
        code: 1)
    }
    return parsed
  }

  /// CPU model (with its family and model numbers: a name such as "AMD EPYC" covers generations whose sgemm peaks
  /// differ twofold), cores and memory, for the page.
  static func machine(_ kernels: KernelInfo) -> String {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let gib = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
    let generation = Benchmark.cpuGeneration((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    return "\(kernels.cpuModel)\(generation.map { " (\($0))" } ?? ""), \(cores) cores, \(Fmt.decimals(gib, 0)) GiB"
  }
}

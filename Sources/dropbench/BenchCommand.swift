import ArgumentParser
import Data
import Experiments
import Foundation
import Report
import Runner
import Support
import Tensor

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Engine throughput on W1–W5 vs the machine's sgemm peak; writes Reports/bench.{json,md}.",
    discussion: """
      One thread. Each workload trains one epoch of Fashion-MNIST at batch 128 in its own process (so peak memory \
      is per workload), then evaluates the test set at batch 1000. Compare with PyTorch by running \
      ../shared/bench/pytorch_cpu_bench.py --threads 1 --json peer.json in the same sitting and passing --peer peer.json.
      """)
  @Option(help: "Run one workload in this process and print its JSON (used internally).") var workload: String?
  @Option(help: "PyTorch peer JSON from pytorch_cpu_bench.py, to show the ratio.") var peer: String?
  @Option(help: "Limit training steps per workload (quick smoke check).") var maxSteps: Int?
  @Flag(help: "With --workload: print per-layer forward/backward milliseconds per training step instead.")
  var layers = false
  @OptionGroup var paths: Paths

  func validate() throws {
    if let workload, !Benchmark.workloads.contains(workload) {
      throw ValidationError(
        "unknown workload '\(workload)' for --workload; choices: \(Benchmark.workloads.joined(separator: ", "))")
    }
    if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1, got \(maxSteps)") }
  }

  func run() throws {
    try guarded {
      let kernels = try BLAS.configure(KernelSelection.automatic())
      if let workload {
        let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions())
        if layers {
          let (rows, step) = try LayerProfile.run(workload, data: data, steps: maxSteps ?? 200)
          print(LayerProfile.table(rows, stepMilliseconds: step), terminator: "")
          return
        }
        let result = try Benchmark.workload(workload, data: data, maxSteps: maxSteps)
        print(String(decoding: try Runner.JSON.encode(result), as: UTF8.self), terminator: "")
        return
      }
      let gemm = [1024, 2048].map { Benchmark.gemm(n: $0) }
      let peak = gemm.map(\.gflops).max() ?? 1
      var results: [Benchmark.WorkloadResult] = []
      let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
      for w in Benchmark.workloads {
        FileHandle.standardError.write(Data("bench: \(w)…\n".utf8))
        var args = ["bench", "--workload", w]
        if let maxSteps { args += ["--max-steps", String(maxSteps)] }
        let output = try Subprocess.runForwardingInterrupts([exe] + args)
        guard output.status == 0 else {
          throw UserFacingError(message: "bench \(w) failed: \(output.stderr)", code: 1)
        }
        var r = try JSONDecoder().decode(Benchmark.WorkloadResult.self, from: output.stdout)
        r.percentOfPeak = 100 * r.trainGFLOPS / peak
        results.append(r)
      }
      let report = Benchmark.Summary(kernels: kernels, gemm: gemm, workloads: results)
      let peerRates = peer.flatMap { BenchPeer.load($0) } ?? [:]
      let dir = URL(fileURLWithPath: paths.reports)
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try AtomicFile.write(Runner.JSON.encode(report), to: dir.appendingPathComponent("bench.json"))
      let md = BenchPeer.markdown(report, peer: peerRates)
      try AtomicFile.write(Data(md.utf8), to: dir.appendingPathComponent("bench.md"))
      print(md, terminator: "")
    }
  }
}

/// The PyTorch peer's numbers (pytorch_cpu_bench.py --json), one thread.
enum BenchPeer {
  static let names = ["W1": "mlp", "W2": "cnn", "W3": "resnet8", "W3d": "resnet8d"]

  static func load(_ path: String) -> [String: Double]? {
    guard let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let results = json["results"] as? [[String: Any]]
    else { return nil }
    var rates: [String: Double] = [:]
    for r in results where (r["threads"] as? Int) == 1 {
      if let w = r["workload"] as? String, let rate = r["train_img_s"] as? Double { rates[w] = rate }
    }
    return rates
  }

  static func markdown(_ r: Benchmark.Summary, peer: [String: Double]) -> String {
    func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }
    var s = "# Engine benchmark\n\n"
    s += "One thread; OpenBLAS core `\(r.kernels.selection.blasCoreType)` (loaded: \(r.kernels.blasCoreLoaded)), "
    s += "oneDNN \(r.kernels.dnnlVersion) max ISA `\(r.kernels.selection.dnnlISA)`, CPU: \(r.kernels.cpuModel).\n\n"
    s += "sgemm peak: " + r.gemm.map { "\($0.n)³ \(f($0.gflops, 1)) GFLOP/s" }.joined(separator: ", ") + "\n\n"
    s +=
      "| workload | train img/s | eval img/s (batch 1000) | train GFLOP/s | % of sgemm peak | 1-epoch test acc. | peak RSS MiB |"
    s +=
      peer.isEmpty
      ? "\n|---|---|---|---|---|---|---|\n" : " PyTorch img/s | × PyTorch |\n|---|---|---|---|---|---|---|---|---|\n"
    for w in r.workloads {
      s +=
        "| \(w.workload): \(w.description) | \(f(w.trainImagesPerSecond)) | \(f(w.evalImagesPerSecond)) | \(f(w.trainGFLOPS, 1)) | \(f(w.percentOfPeak, 1)) | \(f(w.testAccuracyAfterOneEpoch, 2))% | \(f(w.peakResidentMiB)) |"
      if !peer.isEmpty {
        let p = names[w.workload].flatMap { peer[$0] }
        s += " \(p.map { f($0) } ?? "–") | \(p.map { f(w.trainImagesPerSecond / $0, 2) } ?? "–") |"
      }
      s += "\n"
    }
    return s
  }
}

import ArgumentParser
import Data
import Experiments
import Foundation
import Report
import Runner
import Tensor

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the experiments, their runs per scale and last verdict.")
  @OptionGroup var paths: Paths
  @Option(help: "Output format: md or json.") var format: OutputFormat = .md

  struct Row: Codable {
    var id: String
    var method: String
    var title: String
    var runs: [String: Int]
    var verdict: String?
  }

  func run() throws {
    try guarded {
      // One damaged results file must not hide the others' verdicts: each file is read on its own, and a bad one
      // is named on stderr and listed as unreadable.
      var verdicts: [String: String] = [:]
      let fm = FileManager.default
      let names = ((try? fm.contentsOfDirectory(atPath: paths.resultsURL.path)) ?? []).filter { $0.hasSuffix(".json") }
      for name in names.sorted() {
        let url = paths.resultsURL.appendingPathComponent(name)
        do throws(ResultsStoreError) {
          let results = try ResultsStore.decode(fm.contents(atPath: url.path) ?? Data(), file: url.path)
          verdicts[results.experimentID] = results.verdict.verdict.rawValue
        } catch {
          FileHandle.standardError.write(Data("warning: \(error.description)\n".utf8))
          verdicts[String(name.dropLast(5))] = "unreadable results"
        }
      }
      var rows: [Row] = []
      for path in try SpecFiles.all(in: paths.experiments) {
        let (spec, _) = try SpecFiles.load(path)
        var runs: [String: Int] = [:]
        for scale in spec.scales.keys.sorted() {
          runs[scale] = (try? spec.plan(scale: scale, overrides: [], catalog: CatalogBuilder.catalog))?.runs.count
        }
        rows.append(Row(id: spec.id, method: spec.method, title: spec.title, runs: runs, verdict: verdicts[spec.id]))
      }
      switch format {
      case .json:
        print(String(decoding: try Runner.JSON.encode(rows), as: UTF8.self), terminator: "")
      case .md:
        print("| experiment | method | smoke | default | full | last verdict |\n|---|---|---|---|---|---|")
        for r in rows {
          let counts = ["smoke", "default", "full"].map { r.runs[$0].map(String.init) ?? "–" }
          print("| \(r.id) | \(r.method) | \(counts.joined(separator: " | ")) | \(r.verdict ?? "not run") |")
        }
      }
    }
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Validate specs without running them (all scales).",
    discussion: "Unknown keys, names, out-of-range values and bad checks are errors naming the file and key path.")
  @Argument(help: "Spec ids or paths (default: every spec).") var experiments: [String] = []
  @OptionGroup var paths: Paths
  @Option(name: .customLong("set"), help: "Overrides to validate along (repeatable).") var overrides: [String] = []

  func run() throws {
    try guarded {
      let specs =
        experiments.isEmpty
        ? try SpecFiles.all(in: paths.experiments)
        : try experiments.map { try SpecFiles.resolve($0, in: paths.experiments) }
      let parsed = try overrides.map { try Override.parse($0) }
      for path in specs {
        let (spec, _) = try SpecFiles.load(path)
        var counts: [String] = []
        // `default` too when the spec lists no such scale: it is what `run` plans without --scale.
        for scale in Set(spec.scales.keys).union(["default"]).sorted() {
          let plan = try spec.plan(scale: scale, overrides: parsed, catalog: CatalogBuilder.catalog)
          counts.append("\(scale) \(plan.runs.count) runs")
        }
        print("ok  \(path): \(counts.joined(separator: ", "))")
      }
    }
  }
}

/// Regenerates Reports/ from stored results.
enum ReportGeneration {
  static func writeAll(paths: Paths, render: Bool = true) throws {
    let results = try ResultsStore.loadAll(from: paths.resultsURL)
    let taxonomy = Dictionary(
      CatalogBuilder.catalog.regularizers.map { ($0.key, $0.value.taxonomy) }, uniquingKeysWith: { a, _ in a })
    let summary = try ReportWriter.writeAll(
      results: results, to: URL(fileURLWithPath: paths.reports), taxonomy: taxonomy, render: render)
    for path in summary.removed {
      FileHandle.standardError.write(Data("removed \(paths.reports)/\(path) (no results for it any more)\n".utf8))
    }
    // Pages show verdicts recomputed with this build's checks; say where they differ from the stored ones.
    for change in summary.changedVerdicts {
      FileHandle.standardError.write(
        Data("verdict recomputed: \(change) (dropbench run <id> rewrites its results file; nothing is trained)\n".utf8))
    }
  }
}

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Regenerate Reports/ (pages, verdict table, figures) from stored results; trains nothing.",
    discussion: "Markdown, .gp and .dat files are byte-identical when the results did not change.")
  @OptionGroup var paths: Paths
  @Flag(help: "Write .gp/.dat but do not run gnuplot.") var noRender = false

  func run() throws {
    try guarded {
      // Ctrl-C waits for the last page, so Reports/ is never half old, half new (then exit 130).
      try Interrupts.critical { try ReportGeneration.writeAll(paths: paths, render: !noRender) }
      print("wrote \(paths.reports)/README.md")
    }
  }
}

struct Seeds: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Seed-budget planner: paired seeds each stored comparison would need to detect what it observed.",
    discussion: """
      For every comparison behind each stored verdict: the paired seeds now, the observed difference Δ, the \
      minimum detectable effect (MDE, 5% two-sided, 80% power) and the seeds at which the observed |Δ| would be \
      detectable, then the runs and single-core training time that many seeds would add to the experiment. A \
      planning estimate: the observed Δ and spread are taken as the truth, and at five seeds both are noisy. \
      Never a reason to change a verdict: a follow-up with more seeds is a new run of the spec.
      """)
  @Argument(help: "Experiment ids (default: every experiment with stored results).") var experiments: [String] = []
  @Option(help: "Largest seed count considered.") var limit = 1000
  @OptionGroup var paths: Paths

  // Fewer than two seeds have no spread to plan with.
  func validate() throws {
    if limit < 2 {
      throw ValidationError("--limit must be at least 2 (a paired comparison needs two seeds), got \(limit)")
    }
  }

  func run() throws {
    try guarded {
      var results = try ResultsStore.loadAll(from: paths.resultsURL)
      if !experiments.isEmpty {
        let known = Set(results.map(\.experimentID))
        if let unknown = experiments.first(where: { !known.contains($0) }) {
          throw UserFacingError(message: "no stored results for '\(unknown)' in \(paths.resultsURL.path)", code: 2)
        }
        results = results.filter { experiments.contains($0.experimentID) }
      }
      guard !results.isEmpty else { throw UserFacingError(message: "no stored results to plan from", code: 2) }
      print(
        results.map { SeedBudgetText.markdown(SeedBudget.plan($0, limit: limit), verdict: $0.verdict.verdict.rawValue) }
          .joined(separator: "\n"), terminator: "")
    }
  }
}

enum SeedBudgetText {
  static func markdown(_ plan: SeedBudget.Plan, verdict: String) -> String {
    func num(_ v: Double?) -> String { v.map { String(format: "%+.2f", $0) } ?? "–" }
    var s = "## \(plan.experimentID) (\(verdict)): \(plan.seeds) seeds × \(plan.points) grid points\n\n"
    s += "| comparison | paired seeds | Δ | MDE now | seeds to detect Δ |\n|---|--:|--:|--:|--:|\n"
    for l in plan.lines {
      let needed = l.needed.map(String.init) ?? (l.note ?? "–")
      s +=
        "| \(l.label) | \(l.n) | \(num(l.meanDiff)) | \(l.mde.map { String(format: "%.2f", $0) } ?? "–") | \(needed) |\n"
    }
    if let all = plan.seedsForAll {
      s += "\nEvery estimable comparison detectable at \(all) seeds"
      s +=
        all > plan.seeds
        ? ": \(all - plan.seeds) more seed\(all - plan.seeds == 1 ? "" : "s"), \(plan.extraRuns) more runs, about "
          + "\(Fmt.duration(plan.extraSeconds)) of "
          + "single-core training.\n"
        : " — the seeds there are.\n"
    } else {
      s += "\nNo comparison has a difference and a spread to plan from.\n"
    }
    return s
  }
}

struct Masks: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw what each regularizer drops on real Fashion-MNIST images into Reports/figures/masks-*.",
    discussion: "Deterministic (fixed keys): the same code gives byte-identical .dat and .gp files.")
  @OptionGroup var paths: Paths
  @Flag(help: "Write .gp/.dat but do not run gnuplot.") var noRender = false

  func run() throws {
    try guarded {
      _ = try BLAS.configure(KernelSelection.automatic())
      let scripts = try MaskGallery.write(
        to: URL(fileURLWithPath: paths.reports).appendingPathComponent("figures"), render: !noRender)
      for s in scripts { print("wrote \(s.path)") }
    }
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare results between two git revisions (B defaults to the working tree).",
    discussion:
      "Exit 0: nothing significant changed; 3: a verdict flipped or a metric regressed significantly; 2: error.")
  @Argument(help: "Base revision.") var revA: String
  @Argument(help: "Compared revision (default: working tree).") var revB: String?
  @Option(help: "Output format: md or json.") var format: OutputFormat = .md

  func run() throws {
    var regression = false
    try guarded {
      let repo = URL(fileURLWithPath: ".")
      let a = try GitResults.load(revision: revA, repo: repo)
      let b = try GitResults.load(revision: revB, repo: repo)
      // A side without any results is not "no significant change": there is nothing to compare.
      for (results, label) in [(a, revA), (b, revB ?? "working tree")] where results.isEmpty {
        throw UserFacingError(
          message: "no results at \(label) (Reports/results is empty or missing there); pick a revision with results",
          code: 2)
      }
      let report = DiffReport.compare(a, b, labelA: revA, labelB: revB ?? "working tree")
      print(format == .json ? try report.json() : report.markdown(), terminator: "")
      regression = report.hasRegression
    }
    if regression { throw ExitCode(3) }
  }
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Engine throughput on W1–W3d vs the machine's sgemm peak; writes Reports/bench.{json,md}.",
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
        let (status, out, err) = Shell.capture(exe, args)
        guard status == 0 else { throw UserFacingError(message: "bench \(w) failed: \(err)", code: 1) }
        var r = try JSONDecoder().decode(Benchmark.WorkloadResult.self, from: out)
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

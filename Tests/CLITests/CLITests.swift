import Foundation
import Testing

/// End-to-end tests of the built `dropbench` binary (`make test` builds it first) on tiny specs in a temporary
/// directory: exit codes, one-line errors, caching, resume after a kill, determinism across --jobs, diff.
@Suite(.serialized) struct CLITests {
  static let binary: URL = {
    if let path = ProcessInfo.processInfo.environment["DROPBENCH_BIN"] { return URL(fileURLWithPath: path) }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return root.appendingPathComponent(".build/release/dropbench")
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Killed at the deadline: a hang.
    var timedOut = false
    /// Ended by a signal (a crash) rather than an exit.
    var signalled = false
    var lines: [String] { stderr.split(separator: "\n").map(String.init) }
  }

  /// Runs the binary, reading stdout and stderr concurrently (a full stderr pipe cannot block it); a run past
  /// `timeout` seconds is killed and reported as timed out.
  @discardableResult
  static func run(
    _ arguments: [String], in directory: URL, executable: URL = binary, environment: [String: String] = [:],
    timeout: Double = 600
  ) throws -> Result {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.currentDirectoryURL = directory
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var o = Data()
    nonisolated(unsafe) var e = Data()
    group.enter()
    DispatchQueue.global().async {
      o = out.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
      e = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    let timedOut = process.isRunning
    if timedOut { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    group.wait()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
      stderr: String(decoding: e, as: UTF8.self), timedOut: timedOut,
      signalled: process.terminationReason == .uncaughtSignal)
  }

  static let tinySpec = """
    id: tiny
    title: Tiny smoke experiment
    method: dropout
    paper: {cite: "test", where: "none", result: "none"}
    claim:
      text: dropout beats none
      check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}
    setting: {paper: "p", ours: "o"}
    base:
      dataset: {name: fashion-mnist, train_size: 256, test_size: 200}
      model: {name: mlp, widths: [32]}
      regularizer: {name: dropout, rate: 0.5, at: [hidden1]}
      train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05}
    sweep:
      regularizer.rate: [0.0, 0.5]
    seeds: [0, 1]
    scales:
      smoke: {}
      default: {}
    """

  static func workspace(_ spec: String = tinySpec, name: String = "tiny") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("Experiments"), withIntermediateDirectories: true)
    try spec.write(to: dir.appendingPathComponent("Experiments/\(name).yaml"), atomically: true, encoding: .utf8)
    return dir
  }

  /// The results JSON without fields that legitimately differ between two runs (wall time, provenance).
  static func deterministicRuns(_ dir: URL) throws -> [String] {
    let data = try Data(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"))
    let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let runs = json["runs"] as! [[String: Any]]
    return try runs.map { run in
      var r = run
      r["wallSeconds"] = nil
      return String(decoding: try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]), as: UTF8.self)
    }
  }

  @Test func badInputsExitTwoWithOneLineAndNoResults() throws {
    let bad = Self.tinySpec.replacingOccurrences(of: "name: dropout, rate: 0.5", with: "name: dropblok, rate: 0.5")
    let dir = try Self.workspace(bad)
    let check = try Self.run(["check"], in: dir)
    #expect(check.status == 2)
    #expect(check.stderr.contains("dropblok") && check.stderr.contains("did you mean 'dropblock'"))
    #expect(check.stderr.split(separator: "\n").count == 1)
    let run = try Self.run(["run", "tiny", "--scale", "smoke"], in: dir)
    #expect(run.status == 2)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("Reports/results/tiny.json").path))
    let unknown = try Self.run(["run", "tiy"], in: dir)
    #expect(unknown.status == 2 && unknown.stderr.contains("did you mean 'tiny'"))
    let badSet = try Self.run(["run", "tiny", "--set", "train.epochs=abc"], in: try Self.workspace())
    #expect(badSet.status == 2 && !badSet.stderr.contains("Fatal error"))
    let rate = try Self.run(["check", "--set", "sweep.regularizer.rate=[0.5, 1.0]"], in: try Self.workspace())
    #expect(rate.status == 2 && rate.stderr.contains("rate"))
    let epochs = try Self.run(["check", "--set", "train.epochs=0"], in: try Self.workspace())
    #expect(epochs.status == 2 && epochs.stderr.contains("epochs"))
  }

  /// `dropbench gate` passes every registered method, names each property, checks a spec's own sites, and an
  /// unknown name is one error line with exit 2.
  @Test func gatePassesEveryMethodAndChecksSpecs() throws {
    let dir = try Self.workspace()
    let all = try Self.run(["gate"], in: dir)
    #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
    for name in ["dropout", "dropblock", "stochastic-depth", "dropconnect", "structural-dropout"] {
      #expect(all.stdout.contains("ok   \(name) at"), "\(name) missing from\n\(all.stdout)")
    }
    #expect(all.stdout.contains("✓ drop fraction") && !all.stdout.contains("✗"))
    let spec = try Self.run(["gate", "--experiment", "tiny"], in: dir)
    #expect(spec.status == 0 && spec.stdout.contains("dropout at mlp.hidden1"), "\(spec.stdout)\(spec.stderr)")
    let unknown = try Self.run(["gate", "dropblok"], in: dir)
    #expect(unknown.status == 2 && unknown.lines.count == 1 && unknown.stderr.contains("dropblok"))
  }

  /// An `eval.*` axis trains once per seed and evaluates each value: two points, one training each.
  @Test func evalAxisTrainsOncePerSeed() throws {
    let dir = try Self.workspace()
    let run = try Self.run(
      ["run", "tiny", "--scale", "smoke", "--publish", "--set", "+sweep.eval.prune=[0.0, 0.5]", "--jobs", "1", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let data = try Data(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"))
    let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let runs = json["runs"] as! [[String: Any]]
    let pruned = runs.filter { (($0["point"] as? [String: Any])?["eval.prune"] as? Double) == 0.5 }
    let full = runs.filter { (($0["point"] as? [String: Any])?["eval.prune"] as? Double) == 0.0 }
    #expect(!pruned.isEmpty && pruned.count == full.count)
    // Same training: identical epoch curves, pairwise, for the same arm and seed.
    func canonical(_ value: Any) throws -> Data { try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) }
    for (a, b) in zip(full, pruned) {
      #expect(try canonical(a["epochs"]!) == canonical(b["epochs"]!))
    }
  }

  /// The engine is compiled for AVX2 + FMA on x86-64 (Package.swift): on a CPU without them the binary stops with
  /// a message and exit 2 before any engine instruction runs, instead of dying of SIGILL.
  @Test func refusesACPUWithoutAVX2() throws {
    #if arch(x86_64)
      let target = ProcessInfo.processInfo.environment["DROPBENCH_TARGET_CPU"] ?? "haswell"
      guard target == "haswell" else { return }
      let dir = try Self.workspace()
      let old = dir.appendingPathComponent("cpuinfo-old")
      let new = dir.appendingPathComponent("cpuinfo-new")
      try "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx\n".write(
        to: old, atomically: true, encoding: .utf8)
      try "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma\n".write(to: new, atomically: true, encoding: .utf8)
      let refused = try Self.run(["list"], in: dir, environment: ["DROPBENCH_CPUINFO": old.path])
      #expect(refused.status == 2)
      #expect(refused.stderr.contains("lacks avx2, fma") && refused.stderr.contains("DROPBENCH_TARGET_CPU=x86-64"))
      #expect(refused.stdout.isEmpty)
      let accepted = try Self.run(["list"], in: dir, environment: ["DROPBENCH_CPUINFO": new.path])
      #expect(accepted.status == 0 && accepted.stdout.contains("tiny"), "\(accepted.stderr)")
    #endif
  }

  /// `verify` re-trains sampled runs from scratch and finds them bit-identical to the stored results; a stored
  /// number altered by one ulp is reported as a difference with exit 3.
  @Test func verifyRetrainsAndCatchesAnAlteredResult() throws {
    let dir = try Self.workspace()
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let cacheFiles = try FileManager.default.contentsOfDirectory(
      atPath: dir.appendingPathComponent(".dropbench/cache").path)
    // The seed-budget planner reads the same stored results.
    let seeds = try Self.run(["seeds", "tiny"], in: dir)
    #expect(seeds.status == 0, "\(seeds.stderr)")
    #expect(
      seeds.stdout.contains("## tiny (") && seeds.stdout.contains("| comparison | paired seeds |"), "\(seeds.stdout)")
    #expect(try Self.run(["seeds", "nope"], in: dir).status == 2)
    let ok = try Self.run(["verify", "tiny", "--sample", "2", "--jobs", "2"], in: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("tiny: 2/2 sampled runs bit-identical"), "\(ok.stdout)")
    // The real cache was neither read nor written.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".dropbench/cache").path).sorted()
        == cacheFiles.sorted())
    let file = dir.appendingPathComponent("Reports/results/tiny.json")
    var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
    var runs = try #require(json["runs"] as? [[String: Any]])
    var epochs = try #require(runs[3]["epochs"] as? [[String: Any]])
    let loss = try #require(epochs[0]["trainLoss"] as? Double)
    epochs[0]["trainLoss"] = loss.nextUp
    runs[3]["epochs"] = epochs
    json["runs"] = runs
    try JSONSerialization.data(withJSONObject: json).write(to: file)
    let altered = try Self.run(["verify", "tiny", "--sample", "4", "--jobs", "2"], in: dir)
    #expect(altered.status == 3, "\(altered.stderr)")
    #expect(altered.stdout.contains("tiny: 3/4 sampled runs bit-identical"), "\(altered.stdout)")
    #expect(altered.stdout.contains("differs:") && altered.stdout.contains("epoch 1 train loss"), "\(altered.stdout)")
    let missing = try Self.run(["verify", "nope"], in: dir)
    #expect(missing.status == 2 && !missing.stderr.isEmpty)
  }

  /// The tiny spec as a comparison of arms (none, dropout) with a tuning budget at `scale`.
  static func comparisonSpec(tunedAt scale: String, id: String = "tiny") -> String {
    tinySpec.replacingOccurrences(of: "id: tiny", with: "id: \(id)")
      .replacingOccurrences(of: "{regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}", with: "{regularizer: dropout}, b: {regularizer: none}")
      .replacingOccurrences(
        of: "  regularizer.rate: [0.0, 0.5]",
        with: "  regularizer:\n    - {name: none}\n    - {name: dropout, rate: 0.5, at: [hidden1]}")
      + "\ntune:\n  scales: [\(scale)]\n  validation_fraction: 0.25\n  knobs: {dropout: {rate: [0.2, 0.5]}}\n"
  }

  /// A tuning budget end to end: at its tuned scale every candidate trains with every seed on the training data
  /// less the validation split, the arm reports its chosen candidate's runs, and the page shows the choice; at an
  /// untuned scale nothing is tuned and the page says so.
  @Test func aTunedScaleTrainsEveryCandidateAndReportsTheChosenOne() throws {
    let dir = try Self.workspace(Self.comparisonSpec(tunedAt: "smoke"))
    let run = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("6 runs") || run.stdout.contains("6 runs"), "\(run.stdout)\(run.stderr)")
    func load() throws -> [String: Any] {
      let data = try Data(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"))
      return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let results = try load()
    let runs = try #require(results["runs"] as? [[String: Any]])
    let tuning = try #require(results["tuning"] as? [String: Any])
    let candidates = try #require(tuning["candidates"] as? [[String: Any]])
    let choices = try #require(tuning["choices"] as? [[String: Any]])
    #expect(runs.count == 4 && candidates.count == 4 && choices.count == 1)
    func final(_ run: [String: Any]) -> [String: Any] { run["final"] as? [String: Any] ?? [:] }
    func point(_ run: [String: Any]) -> [String: Any] { run["point"] as? [String: Any] ?? [:] }
    func config(_ run: [String: Any], _ a: String, _ b: String) -> Any? { (run["config"] as? [String: Any])?[a].flatMap { ($0 as? [String: Any])?[b] } }
    #expect(runs.allSatisfy { point($0)["tune"] == nil && final($0)["val_accuracy"] != nil })
    #expect(runs.allSatisfy { config($0, "dataset", "validation_fraction") as? Double == 0.25 })
    let values = try #require(choices[0]["values"] as? [Double])
    let chosen = try #require(choices[0]["chosen"] as? Int)
    let dropoutRuns = runs.filter { (point($0)["regularizer"] as? [String: Any])?["name"] as? String == "dropout" }
    #expect(dropoutRuns.count == 2 && dropoutRuns.allSatisfy { config($0, "regularizer", "rate") as? Double == values[chosen] })
    // The chosen candidate has the best mean validation accuracy, computed here from the stored candidates.
    let means = values.map { v in
      let vals = candidates.filter { ((point($0)["tune"] as? [String: Any])?["rate"] as? Double) == v }
        .compactMap { final($0)["val_accuracy"] as? Double }
      return vals.reduce(0, +) / Double(vals.count)
    }
    #expect(means.count == 2 && means[chosen] == means.max())
    let page = try String(contentsOf: dir.appendingPathComponent("Reports/tiny.md"), encoding: .utf8)
    #expect(page.contains("## Tuning") && page.contains("`val_accuracy`"), "\(page)")
    // The default scale is untuned: the arms as written, no validation split, and the page says so.
    #expect(try Self.run(["run", "tiny", "--scale", "default", "--jobs", "2", "--plain"], in: dir).status == 0)
    let plain = try load()
    #expect(plain["tuning"] == nil)
    #expect((plain["runs"] as? [[String: Any]])?.allSatisfy { final($0)["val_accuracy"] == nil } == true)
    let untunedPage = try String(contentsOf: dir.appendingPathComponent("Reports/tiny.md"), encoding: .utf8)
    #expect(untunedPage.contains("**Tuning.** None at scale `default`"), "\(untunedPage)")
  }

  /// A robustness axis through the real binary: the variant runs are trained under `model.init: pytorch` (their
  /// weights differ, so their metrics do), filed apart from the claim's runs, named on the page, and the verdict
  /// and the claim's runs are those of the spec without the axis.
  @Test func aRobustnessAxisTrainsItsVariantsApartFromTheClaim() throws {
    let axis = "\nrobustness: {title: PyTorch init, set: {model.init: pytorch}, arms: [{regularizer.rate: 0.5}, {regularizer.rate: 0.0}]}\n"
    let dir = try Self.workspace(Self.tinySpec + axis)
    let run = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let data = try Data(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"))
    let results = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let runs = try #require(results["runs"] as? [[String: Any]])
    let variants = try #require(results["robustnessRuns"] as? [[String: Any]])
    func point(_ run: [String: Any]) -> [String: Any] { run["point"] as? [String: Any] ?? [:] }
    func initialisation(_ run: [String: Any]) -> Any? {
      ((run["config"] as? [String: Any])?["model"] as? [String: Any])?["init"]
    }
    #expect(runs.count == 4 && variants.count == 4)
    let dry = try Self.run(["run", "tiny", "--scale", "smoke", "--dry-run"], in: dir)
    #expect(dry.stdout.contains("2 grid points × 2 seeds + 4 robustness runs = 8 runs, 8 cached"), "\(dry.stdout)")
    #expect(runs.allSatisfy { point($0)["robustness"] == nil && initialisation($0) == nil })
    #expect(variants.allSatisfy { point($0)["robustness"] != nil && initialisation($0) as? String == "pytorch" })
    func accuracy(_ run: [String: Any]) -> Double? { (run["final"] as? [String: Any])?["test_accuracy"] as? Double }
    #expect(Set(variants.compactMap(accuracy)) != Set(runs.compactMap(accuracy)))
    let page = try String(contentsOf: dir.appendingPathComponent("Reports/tiny.md"), encoding: .utf8)
    #expect(page.contains("### Robustness: PyTorch init") && page.contains("with `model.init=pytorch`"), "\(page)")
    // A fresh clone (no cache) reuses the committed variant runs as it reuses the claim's: nothing trains.
    let clone = try Self.workspace(Self.tinySpec + axis)
    try FileManager.default.createDirectory(
      at: clone.appendingPathComponent("Reports/results"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: dir.appendingPathComponent("Reports/results/tiny.json"),
      to: clone.appendingPathComponent("Reports/results/tiny.json"))
    let reused = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: clone)
    #expect(reused.status == 0 && (reused.stdout + reused.stderr).contains("0 trained"), "\(reused.stdout)\(reused.stderr)")
    // The same spec without the axis: its claim runs (reused from the cache) and verdict are these.
    let plain = try Self.workspace()
    try FileManager.default.createSymbolicLink(
      at: plain.appendingPathComponent(".dropbench"), withDestinationURL: dir.appendingPathComponent(".dropbench"))
    let again = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: plain)
    #expect(again.status == 0 && (again.stdout + again.stderr).contains("0 trained"), "\(again.stdout)\(again.stderr)")
    let other = try #require(
      JSONSerialization.jsonObject(with: Data(contentsOf: plain.appendingPathComponent("Reports/results/tiny.json")))
        as? [String: Any])
    #expect(other["robustnessRuns"] == nil)
    #expect((other["runs"] as? [[String: Any]])?.map(accuracy) == runs.map(accuracy))
    #expect(
      ((other["verdict"] as? [String: Any])?["verdict"] as? String) == ((results["verdict"] as? [String: Any])?["verdict"] as? String))
  }

  /// `replicate` runs the headline claims first, then the other claims, then the comparisons of methods (specs
  /// with a tuning budget), which are built from the others' arms; alphabetical within each group.
  @Test func replicateRunsHeadlineFirstAndComparisonsLast() throws {
    let dir = try Self.workspace()
    let comparison = Self.comparisonSpec(tunedAt: "full", id: "acompare")
    let headline = Self.tinySpec.replacingOccurrences(of: "id: tiny", with: "id: zhead") + "\nheadline: true\n"
    try comparison.write(to: dir.appendingPathComponent("Experiments/acompare.yaml"), atomically: true, encoding: .utf8)
    try headline.write(to: dir.appendingPathComponent("Experiments/zhead.yaml"), atomically: true, encoding: .utf8)
    #expect(try Self.run(["check"], in: dir).status == 0)
    let run = try Self.run(["replicate", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let output = run.stdout + run.stderr
    let positions = ["zhead: ", "tiny: ", "acompare: "].map { output.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil }, "\(output)")
    #expect(positions[0]! < positions[1]! && positions[1]! < positions[2]!, "\(output)")
  }

  @Test func runCachesAndIsDeterministicAcrossJobs() throws {
    let a = try Self.workspace()
    let first = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2"], in: a)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("4 to train"))
    let again = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2"], in: a)
    #expect(again.stderr.contains("4 cached, 0 to train"))
    #expect(FileManager.default.fileExists(atPath: a.appendingPathComponent("Reports/tiny.md").path))
    #expect(FileManager.default.fileExists(atPath: a.appendingPathComponent("Reports/figures/tiny.gp").path))
    let b = try Self.workspace()
    let serial = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "1"], in: b)
    #expect(serial.status == 0)
    #expect(try Self.deterministicRuns(a) == Self.deterministicRuns(b))
  }

  @Test func dryRunListsRunsWithAnEstimateAndTrainsNothing() throws {
    let dir = try Self.workspace()
    let dry = try Self.run(["run", "tiny", "--dry-run", "--jobs", "2"], in: dir)
    #expect(dry.status == 0)
    #expect(dry.stdout.contains("4 runs, 0 cached; estimated"))
    #expect(dry.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("  ") }.count == 4)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".dropbench/cache").path))
    // A second spec with the same runs: each is counted once, in the first spec, and the command gives a total.
    try Self.tinySpec.replacingOccurrences(of: "id: tiny", with: "id: twin")
      .write(to: dir.appendingPathComponent("Experiments/twin.yaml"), atomically: true, encoding: .utf8)
    let both = try Self.run(["run", "tiny", "twin", "--dry-run", "--jobs", "2"], in: dir)
    #expect(both.status == 0, "\(both.stderr)")
    let twinLines = both.stdout.components(separatedBy: "\n").drop { !$0.hasPrefix("twin") }.dropFirst()
      .prefix { $0.hasPrefix("  ") }
    #expect(twinLines.count == 4 && twinLines.allSatisfy { $0.hasSuffix("trained by an earlier spec") }, "\(both.stdout)")
    #expect(both.stdout.contains("twin [default]: 2 grid points × 2 seeds = 4 runs, 0 cached; estimated 0s"), "\(both.stdout)")
    #expect(both.stdout.contains("all 2 specs: estimated"), "\(both.stdout)")
  }

  @Test func resumesAfterKill() throws {
    let spec = Self.tinySpec.replacingOccurrences(of: "seeds: [0, 1]", with: "seeds: [0, 1, 2, 3]")
      .replacingOccurrences(of: "epochs: 2", with: "epochs: 4")
    let dir = try Self.workspace(spec)
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = ["run", "tiny", "--jobs", "1"]
    process.currentDirectoryURL = dir
    process.standardError = FileHandle.nullDevice
    try process.run()
    let cache = dir.appendingPathComponent(".dropbench/cache")
    let deadline = Date().addingTimeInterval(120)
    func finished() -> Int {
      ((try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []).filter {
        $0.hasSuffix(".json") && !$0.hasPrefix(".")
      }.count
    }
    while finished() < 1 && Date() < deadline { usleep(20_000) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let done = finished()
    #expect(done >= 1 && done < 8)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("Reports/results/tiny.json").path))
    let resumed = try Self.run(["run", "tiny", "--jobs", "2"], in: dir)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("\(done) cached") || finished() == 8)
    #expect(finished() == 8)
  }

  @Test func diffBetweenTwoCommits() throws {
    let dir = try Self.workspace()
    func git(_ args: String...) throws -> Result {
      try Self.run(
        ["-c", "user.email=t@t", "-c", "user.name=t"] + args, in: dir, executable: URL(fileURLWithPath: "/usr/bin/git"))
    }
    _ = try git("init", "-q")
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish"], in: dir).status == 0)
    _ = try git("add", "-A")
    _ = try git("commit", "-qm", "first")
    let same = try Self.run(["diff", "HEAD"], in: dir)
    #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
    // A second commit with other seeds: the same grid points, other numbers.
    let spec = dir.appendingPathComponent("Experiments/tiny.yaml")
    try (try String(contentsOf: spec, encoding: .utf8)).replacingOccurrences(of: "seeds: [0, 1]", with: "seeds: [5, 6]")
      .write(to: spec, atomically: true, encoding: .utf8)
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish"], in: dir).status == 0)
    _ = try git("commit", "-qam", "second")
    let between = try Self.run(["diff", "HEAD~1", "HEAD"], in: dir)
    #expect([0, 3].contains(between.status), "\(between.stderr)")
    #expect(between.stdout.contains("tiny") && between.stdout.contains("regularizer.rate=0.5"))
    let json = try Self.run(["diff", "HEAD~1", "HEAD", "--format", "json"], in: dir)
    #expect(json.status == between.status)
    #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil)
    let unknown = try Self.run(["diff", "no-such-revision"], in: dir)
    #expect(unknown.status == 2)
    #expect(!unknown.stderr.contains("Fatal error"))
  }
}

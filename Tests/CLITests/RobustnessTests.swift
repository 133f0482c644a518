import Foundation
import Testing

/// Bad arguments and bad specs through the real binary: every rejection is exit 2 with exactly one line on stderr
/// naming the file, key or argument, within a per-case timeout (no crash, no hang), and `check` rejects each spec
/// with the same line as `run`. The bulk of the spec corpus runs in-process (RunnerTests' MalformedSpecCorpusTests);
/// this is a sample of it plus every class of argument error.
@Suite(.serialized) struct RobustnessTests {
  typealias Outcome = CLITests.Result

  /// Runs the binary with a short deadline; a run past it is killed and reported as a hang.
  static func run(_ arguments: [String], in directory: URL, timeout: Double = 20) throws -> Outcome {
    try CLITests.run(arguments, in: directory, timeout: timeout)
  }

  static func expectRejected(
    _ o: Outcome, _ what: String, naming: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(!o.timedOut, "\(what): hung", sourceLocation: sourceLocation)
    #expect(!o.signalled, "\(what): crashed with signal \(o.status)", sourceLocation: sourceLocation)
    #expect(o.status == 2, "\(what): exit \(o.status)\n\(o.stderr)", sourceLocation: sourceLocation)
    #expect(o.lines.count == 1, "\(what): \(o.lines.count) lines\n\(o.stderr)", sourceLocation: sourceLocation)
    #expect(
      o.stderr.contains(naming), "\(what): does not name '\(naming)': \(o.stderr)", sourceLocation: sourceLocation)
  }

  /// Every usage error: exit 2 and one line naming the argument (swift-argument-parser alone gives 64 and a usage
  /// block); a bad choice lists the valid ones.
  @Test func argumentErrorsAreOneLineExitTwo() throws {
    let dir = try CLITests.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [([String], String)] = [
      (["run", "tiny", "--jobs", "0"], "--jobs"), (["run", "tiny", "--jobs", "-3"], "--jobs"),
      (["run", "tiny", "--jobs", "many"], "--jobs"), (["run", "tiny", "--shard", "1/0"], "--shard"),
      (["run", "tiny", "--shard", "5/2"], "--shard"), (["run", "tiny", "--shard", "x"], "--shard"),
      (["run", "tiny", "--no-such-flag"], "--no-such-flag"), (["run"], "<experiments>"), (["frobnicate"], "frobnicate"),
      (["diff", "HEAD", "--format", "xml"], "'md' and 'json'"), (["run", "tiny", "--blas-core", "Bogus"], "Haswell"),
      (["bench", "--workload", "W9"], "W1, W2, W3, W3d, W4, W5"), (["seeds", "--limit", "0"], "--limit"),
      (["verify", "--sample", "0"], "--sample"), (["replicate", "--jobs", "0"], "--jobs"),
      (["run", "tiny", "--scale", "bogus", "--dry-run"], "unknown scale 'bogus'"),
      (["run", "tiny", "--set", "train.epochs"], "--set"), (["check", "--set", "=3"], "--set"),
      (["run", "nope"], "unknown experiment 'nope'"),
    ]
    for (arguments, naming) in cases {
      let o = try Self.run(arguments, in: dir)
      Self.expectRejected(o, arguments.joined(separator: " "), naming: naming)
      #expect(o.lines.first?.hasPrefix("error: ") == true, "\(o.stderr)")
    }
    #expect(try Self.run(["run", "--help"], in: dir).status == 0)
  }

  /// The issue's crashes and hangs: each value through `check` and through `run` (which must stop before training),
  /// both exit 2 with the same line naming the file, the key and the valid range.
  @Test func badValuesAreRejectedByCheckExactlyAsByRun() throws {
    let dir = try CLITests.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sets: [(String, String)] = [
      ("seeds=[-5]", "seeds[0]: must be in [0, 4294967295]"),
      ("+dataset.subset_seed=-1", "--set: dataset.subset_seed: must be in [0, 4294967295]"),
      ("model.widths=[0]", "--set: model.widths[0]: must be in [1, 65536]"),
      ("model.widths=[-4]", "--set: model.widths[0]: must be in [1, 65536]"),
      ("model.widths=[100000000]", "--set: model.widths[0]: must be in [1, 65536]"),
      ("model.widths=[60000,60000]", "the limit is 2.0 GiB"),
      ("train.epochs=9223372036854775807", "--set: train.epochs: must be in [1, 10000]"),
      ("train.epochs=1e12", "--set: train.epochs: must be in [1, 10000]"),
      ("+train.steps=-10", "--set: train.steps: must be in [1, 100000000]"),
      ("+train.steps=0", "--set: train.steps: must be in [1, 100000000]"),
      ("seeds=" + String(repeating: "[", count: 100_000), "at most 64 levels"),
    ]
    for (set, naming) in sets {
      let check = try Self.run(["check", "--set", set], in: dir)
      Self.expectRejected(check, "check --set \(set.prefix(40))", naming: naming)
      for extra in [["--dry-run"], []] {
        let run = try Self.run(["run", "tiny", "--jobs", "1", "--set", set] + extra, in: dir)
        Self.expectRejected(run, "run --set \(set.prefix(40)) \(extra)", naming: naming)
        #expect(run.stderr == check.stderr, "check and run differ:\n\(check.stderr)\(run.stderr)")
      }
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".dropbench/cache").path))
  }

  /// A bad base value that only the smoke scale overrides: `run` (default scale) refuses it, so `check` must too,
  /// even though the spec lists no `default` scale.
  /// A damaged results file is named and listed as unreadable, not as "not run"; `diff` against a revision with no
  /// results is an error, not "no significant change".
  @Test func damagedResultsAndEmptyRevisionsAreSaidPlainly() throws {
    let dir = try CLITests.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = dir.appendingPathComponent("Reports/results")
    try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
    try "garbage".write(to: results.appendingPathComponent("tiny.json"), atomically: true, encoding: .utf8)
    let list = try Self.run(["list"], in: dir)
    #expect(list.status == 0)
    #expect(list.stdout.contains("| tiny |") && list.stdout.contains("unreadable results"), "\(list.stdout)")
    #expect(list.lines.count == 1 && list.stderr.contains("tiny.json"), "\(list.stderr)")
    try FileManager.default.removeItem(at: results.appendingPathComponent("tiny.json"))
    for args in [["init", "-q"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"]] {
      let git = Process()
      git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      git.arguments = ["git"] + args
      git.currentDirectoryURL = dir
      try git.run()
      git.waitUntilExit()
    }
    Self.expectRejected(try Self.run(["diff", "HEAD"], in: dir), "diff without results", naming: "no results at HEAD")
  }

  @Test func checkCoversTheDefaultScaleAlways() throws {
    let spec = CLITests.tinySpec.replacingOccurrences(of: "epochs: 2,", with: "epochs: 0,")
      .replacingOccurrences(of: "  smoke: {}\n  default: {}", with: "  smoke: {train.epochs: 1}")
    #expect(!spec.contains("default: {}"))
    let dir = try CLITests.workspace(spec)
    defer { try? FileManager.default.removeItem(at: dir) }
    let check = try Self.run(["check"], in: dir)
    Self.expectRejected(check, "check", naming: "base.train.epochs: must be in [1, 10000], got 0")
    let run = try Self.run(["run", "tiny", "--dry-run"], in: dir)
    #expect(run.stderr == check.stderr, "\(run.stderr)")
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--dry-run"], in: dir).status == 0)
  }

  /// Text mutations of the real specs (a sample of the in-process corpus's classes, plus an alias bomb and deep
  /// nesting written into the file): `check` and `run --dry-run` give the same single line naming the file.
  @Test func mutatedRealSpecsAreRejectedByCheckAndRunAlike() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Experiments")
    let files = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".yaml") }.sorted()
    let bomb = (0..<7).map { i in
      i == 0
        ? "b0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
        : "b\(i): &b\(i) [" + Array(repeating: "*b\(i - 1)", count: 9).joined(separator: ", ") + "]"
    }.joined(separator: "\n")
    // (pattern, replacement, what the line must name); a pattern absent from a file skips that file.
    let mutations: [(String, String, String)] = [
      (#"\bbatch: [0-9]+"#, "batch: -4", "train.batch"),
      (#"\blr: [0-9.e-]+"#, "lr: fast", "train.lr"),
      (#"\bmomentum: [0-9.]+"#, "momentum: 1.5", "train.momentum"),
      (#"^seeds: \[[^\]]*\]"#, "seeds: [0, -5]", "seeds[1]"),
      (#"^method: \S+"#, "method: dropot", "method"),
      (#"\bkind: [a-z_]+"#, "kind: better", "kind"),
      (#"^id: \S+"#, "id: wrong-id", "id"),
      (#"^title: .*$"#, "title: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "at most 64"),
      (#"^id: "#, bomb + "\nid: ", "more than 100000 values"),
    ]
    let dir = try CLITests.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let experiments = dir.appendingPathComponent("Experiments")
    var tried = 0
    for file in files {
      let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      let id = String(file.dropLast(5))
      for (pattern, replacement, naming) in mutations {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
          let range = Range(match.range, in: text)
        else { continue }
        for old in try FileManager.default.contentsOfDirectory(atPath: experiments.path) {
          try FileManager.default.removeItem(at: experiments.appendingPathComponent(old))
        }
        try text.replacingCharacters(in: range, with: replacement).write(
          to: experiments.appendingPathComponent(file), atomically: true, encoding: .utf8)
        let check = try Self.run(["check"], in: dir)
        Self.expectRejected(check, "\(file): \(naming)", naming: naming)
        #expect(check.stderr.contains("Experiments/\(file)"), "\(check.stderr)")
        let run = try Self.run(["run", id, "--dry-run"], in: dir)
        Self.expectRejected(run, "run \(file): \(naming)", naming: naming)
        #expect(run.stderr == check.stderr, "check and run differ:\n\(check.stderr)\(run.stderr)")
        tried += 1
      }
    }
    #expect(tried >= 40, "\(tried) mutated specs")
  }
}

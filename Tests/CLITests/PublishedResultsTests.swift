import Foundation
import Testing

/// The published results (`Reports/`) stay put: runs at another scale or with overrides write elsewhere, committed
/// records are reused instead of retrained, `diff` catches a degraded result and refuses to compare unlike results.
@Suite(.serialized) struct PublishedResultsTests {
  typealias CLI = CLITests

  /// Every file under `Reports/` with its bytes.
  static func snapshot(_ dir: URL) throws -> [String: Data] {
    let root = dir.appendingPathComponent("Reports")
    var files: [String: Data] = [:]
    for path in FileManager.default.subpaths(atPath: root.path) ?? [] {
      var isDirectory: ObjCBool = false
      let url = root.appendingPathComponent(path)
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
        files[path] = try Data(contentsOf: url)
      }
    }
    return files
  }

  static func published(_ dir: URL) throws -> URL {
    let run = try CLI.run(["run", "tiny", "--jobs", "2", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    return dir.appendingPathComponent("Reports")
  }

  @Test func smokeAndOverrideRunsCannotChangeThePublishedResults() throws {
    let dir = try CLI.workspace()
    _ = try Self.published(dir)
    let before = try Self.snapshot(dir)
    #expect(before["results/tiny.json"] != nil && before["tiny.md"] != nil)
    let smoke = try CLI.run(["run", "tiny", "--scale", "smoke", "--jobs", "2", "--plain"], in: dir)
    #expect(smoke.status == 0, "\(smoke.stderr)")
    #expect(smoke.stderr.contains("writes to .dropbench/reports/smoke/"), "\(smoke.stderr)")
    let set = try CLI.run(["run", "tiny", "--set", "train.epochs=1", "--jobs", "2", "--plain"], in: dir)
    #expect(set.status == 0, "\(set.stderr)")
    #expect(try Self.snapshot(dir) == before, "a smoke or override run changed Reports/")
    // Each went to its own place, with its page; the override run's results say so.
    let scratch = dir.appendingPathComponent(".dropbench/reports")
    #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("smoke/tiny.md").path))
    let overridden = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("default+set-") }
    #expect(overridden.count == 1)
    let results = try String(
      contentsOf: scratch.appendingPathComponent("\(overridden[0])/results/tiny.json"), encoding: .utf8)
    #expect(results.contains("\"overrides\"") && results.contains("train.epochs=1"))
    // Publishing is explicit.
    let publish = try CLI.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir)
    #expect(publish.status == 0, "\(publish.stderr)")
    let stored = try String(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"), encoding: .utf8)
    #expect(stored.contains("\"scale\" : \"smoke\""))
  }

  /// A fresh clone has the committed records and no cache: `run` trains nothing and leaves `Reports/` as it was;
  /// `--retrain` trains every run again.
  @Test func committedRecordsAreReusedNotRetrained() throws {
    let dir = try CLI.workspace()
    _ = try Self.published(dir)
    let before = try Self.snapshot(dir)
    try FileManager.default.removeItem(at: dir.appendingPathComponent(".dropbench"))
    let dry = try CLI.run(["run", "tiny", "--dry-run"], in: dir)
    #expect(dry.stdout.contains("4 runs, 4 cached") && dry.stdout.contains("committed record"), "\(dry.stdout)")
    let again = try CLI.run(["run", "tiny", "--jobs", "2", "--plain"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("0 trained, 4 cached (4 from the committed results)"), "\(again.stderr)")
    #expect(try Self.snapshot(dir) == before, "regenerating from committed records changed Reports/")
    #expect(again.stdout.contains("tiny: ") && again.stdout.contains("See Reports/tiny.md"), "\(again.stdout)")
    let retrain = try CLI.run(["run", "tiny", "--retrain", "--jobs", "2", "--plain"], in: dir)
    #expect(retrain.status == 0 && retrain.stderr.contains("4 trained"), "\(retrain.stderr)")
  }

  /// A degraded result is named on the diff's first screen with exit 3; unlike scales are "not comparable" (exit
  /// 4), never "no significant change"; one experiment and two folders can be compared.
  @Test func diffCatchesARegressionAndRefusesUnlikeResults() throws {
    let dir = try CLI.workspace()
    _ = try Self.published(dir)
    let good = dir.appendingPathComponent("good")
    try FileManager.default.copyItem(at: dir.appendingPathComponent("Reports"), to: good)
    #expect(try CLI.run(["diff", "good", "Reports"], in: dir).status == 0)
    // Degrade every run of one point by 40 points: one seed less than a test needs is not an excuse.
    let file = dir.appendingPathComponent("Reports/results/tiny.json")
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
    var runs = json["runs"] as! [[String: Any]]
    for i in runs.indices where ((runs[i]["point"] as? [String: Any])?["regularizer.rate"] as? Double) == 0.5 {
      var final = runs[i]["final"] as! [String: Any]
      final["test_accuracy"] = (final["test_accuracy"] as! Double) - 40
      runs[i]["final"] = final
    }
    json["runs"] = runs
    try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: file)
    let diff = try CLI.run(["diff", "good", "Reports", "--only-changed"], in: dir)
    #expect(diff.status == 3, "\(diff.stdout)\(diff.stderr)")
    let firstScreen = diff.stdout.split(separator: "\n").prefix(12).joined(separator: "\n")
    #expect(firstScreen.contains("Regression") && firstScreen.contains("`tiny`"), "\(diff.stdout)")
    let one = try CLI.run(["diff", "good", "Reports", "tiny"], in: dir)
    #expect(one.status == 3 && one.stdout.contains("## tiny"), "\(one.stdout)\(one.stderr)")
    #expect(try CLI.run(["diff", "good", "Reports", "nope", "other"], in: dir).status == 2)
    // A smoke result against a default one: not comparable.
    #expect(try CLI.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let unlike = try CLI.run(["diff", "good", "Reports"], in: dir)
    #expect(unlike.status == 4, "\(unlike.stdout)\(unlike.stderr)")
    #expect(unlike.stdout.contains("Not comparable") && unlike.stdout.contains("scale differs: default (A) vs smoke (B)"))
    #expect(!unlike.stdout.contains("No significant change"))
  }

  /// `--version`, `report <id>`, `export`, an override the sweep would shadow, and a damaged results file of another
  /// experiment that must not fail a finished run.
  @Test func smallerCommandsAndErrors() throws {
    let dir = try CLI.workspace()
    let version = try CLI.run(["--version"], in: dir)
    #expect(version.status == 0 && version.stdout.hasPrefix("dropbench ") && version.stdout.contains("numerics"))
    let shadowed = try CLI.run(["run", "tiny", "--set", "regularizer.rate=0.3"], in: dir)
    #expect(shadowed.status == 2 && shadowed.lines.count == 1, "\(shadowed.stderr)")
    #expect(shadowed.stderr.contains("--set") && shadowed.stderr.contains("sweep.regularizer.rate"), "\(shadowed.stderr)")
    let badValue = try CLI.run(["check", "--set", "train.lr=-1"], in: dir)
    #expect(badValue.status == 2 && badValue.stderr.contains("--set: train.lr: "), "\(badValue.stderr)")
    _ = try Self.published(dir)
    try Data("{ not json".utf8).write(to: dir.appendingPathComponent("Reports/results/other.json"))
    let rerun = try CLI.run(["run", "tiny", "--jobs", "2", "--plain"], in: dir)
    #expect(rerun.status == 0 && rerun.stderr.contains("other.json"), "\(rerun.stderr)")
    let report = try CLI.run(["report", "tiny", "--no-render"], in: dir)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(try CLI.run(["report", "nope", "--no-render"], in: dir).status == 2)
    let export = try CLI.run(["export", "tiny"], in: dir)
    #expect(export.status == 0, "\(export.stderr)")
    let rows = export.stdout.split(separator: "\n")
    #expect(rows.first?.hasPrefix("experiment,scale,overrides,point,seed,status,metric,value") == true)
    #expect(rows.contains { $0.hasPrefix("tiny,default,,") && $0.contains(",test_accuracy,") }, "\(export.stdout)")
    // A system error is one plain line naming the path, not a Foundation dump.
    let nowhere = try CLI.run(["export", "tiny", "-o", "/nonexistent-dir/x.csv"], in: dir)
    #expect(nowhere.status == 2 && nowhere.lines.filter { $0.hasPrefix("error:") }.count == 1, "\(nowhere.stderr)")
    #expect(nowhere.stderr.contains("error: no such file or directory: /nonexistent-dir/x.csv"), "\(nowhere.stderr)")
    #expect(nowhere.stderr.contains("/nonexistent-dir/x.csv") && !nowhere.stderr.contains("NSCocoaErrorDomain"), "\(nowhere.stderr)")
  }

  /// A sweep cut short leaves its finished records beside the results; committed, they let another machine (an
  /// empty cache) finish only what is missing, and the partial file goes once the results are complete.
  @Test func aPartialSweepResumesFromCommittedRecords() throws {
    let dir = try CLI.workspace()
    let first = try CLI.run(["run", "tiny", "--shard", "0/2", "--jobs", "2", "--plain"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    let partial = dir.appendingPathComponent("Reports/results/partial/tiny.json")
    #expect(FileManager.default.fileExists(atPath: partial.path))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("Reports/results/tiny.json").path))
    let done = (try String(contentsOf: partial, encoding: .utf8)).components(separatedBy: "\"wallSeconds\"").count - 1
    #expect(done >= 1 && done < 4)
    try FileManager.default.removeItem(at: dir.appendingPathComponent(".dropbench"))  // another machine
    let rest = try CLI.run(["run", "tiny", "--jobs", "2", "--plain"], in: dir)
    #expect(rest.status == 0, "\(rest.stderr)")
    #expect(rest.stderr.contains("\(4 - done) trained, \(done) cached (\(done) from the committed results)"), "\(rest.stderr)")
    #expect(!FileManager.default.fileExists(atPath: partial.path))
  }
}

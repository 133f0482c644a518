import Foundation
import Testing

/// `dropbench report` end to end: verdicts recomputed into the results, a corrected paper block and new arm names
/// taken without retraining, changed settings refused.
extension CLITests {
  /// `report` recomputes verdicts from the stored runs and writes them back into the results file, so the committed
  /// results, the pages and `diff` agree after the statistics change; a current verdict leaves the file untouched.
  @Test func reportWritesRecomputedVerdictsBackIntoTheResults() throws {
    let dir = try Self.workspace()
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let file = dir.appendingPathComponent("Reports/results/tiny.json")
    let fresh = try Data(contentsOf: file)
    var json = try #require(JSONSerialization.jsonObject(with: fresh) as? [String: Any])
    var verdict = try #require(json["verdict"] as? [String: Any])
    let current = try #require(verdict["verdict"] as? String)
    let stale = current == "fails" ? "holds" : "fails"
    verdict["verdict"] = stale
    verdict["explanation"] = "Stale verdict from an older build."
    json["verdict"] = verdict
    try JSONSerialization.data(withJSONObject: json).write(to: file)
    let report = try Self.run(["report", "--no-render"], in: dir)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stderr.contains("verdict recomputed: tiny: \(stale) → \(current)"), "\(report.stderr)")
    let rewritten = try Data(contentsOf: file)
    #expect(rewritten == fresh, "the rewritten results should equal what the run wrote")
    let untouched = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
    #expect(try Self.run(["report", "--no-render"], in: dir).status == 0)
    #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date == untouched)
  }

  /// A spec whose paper block changed after its run (the paper's numbers, corrected or added) shows the new block
  /// without retraining; a spec whose settings changed keeps the stored spec: its results describe that one.
  @Test func reportTakesACorrectedPaperBlockButNotChangedSettings() throws {
    let dir = try Self.workspace()
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let yaml = dir.appendingPathComponent("Experiments/tiny.yaml")
    let page = dir.appendingPathComponent("Reports/tiny.md")
    try Self.tinySpec.replacingOccurrences(of: "result: \"none\"", with: "result: \"corrected 1.23\"")
      .write(to: yaml, atomically: true, encoding: .utf8)
    let report = try Self.run(["report", "--no-render"], in: dir)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stderr.contains("paper block of tiny taken from its spec"), "\(report.stderr)")
    #expect(try String(contentsOf: page, encoding: .utf8).contains("corrected 1.23"))
    let stored = try String(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"), encoding: .utf8)
    #expect(stored.contains("corrected 1.23"))
    // A changed setting besides the paper: the stored spec stays, paper included.
    try Self.tinySpec.replacingOccurrences(of: "result: \"none\"", with: "result: \"again 4.56\"")
      .replacingOccurrences(of: "title: Tiny smoke experiment", with: "title: Retitled")
      .write(to: yaml, atomically: true, encoding: .utf8)
    let second = try Self.run(["report", "--no-render"], in: dir)
    #expect(!second.stderr.contains("paper block of tiny"), "\(second.stderr)")
    #expect(!(try String(contentsOf: page, encoding: .utf8).contains("again 4.56")))
  }

  /// Names and a question given to a spec after its run reach the page, the figures and the stored results without
  /// retraining: names are in no run config and no cache key, so the next run finds every run cached.
  @Test func reportTakesArmNamesWithoutRetraining() throws {
    let dir = try Self.workspace()
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let names = "names:\n  regularizer.rate: {title: drop rate, values: [no dropout, dropout 0.5]}\n"
    let question = "\n  question: Does dropout beat none?"
    try Self.tinySpec
      .replacingOccurrences(of: "seeds: [0, 1]", with: names + "seeds: [0, 1]")
      .replacingOccurrences(of: "  text: dropout beats none", with: "  text: dropout beats none" + question)
      .write(to: dir.appendingPathComponent("Experiments/tiny.yaml"), atomically: true, encoding: .utf8)
    #expect(try Self.run(["check", "tiny"], in: dir).status == 0)
    let report = try Self.run(["report", "--no-render"], in: dir)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stderr.contains("arm names and claim question of tiny taken from its spec"), "\(report.stderr)")
    let page = try String(contentsOf: dir.appendingPathComponent("Reports/tiny.md"), encoding: .utf8)
    #expect(page.contains("\n| dropout 0.5 | 0.5 |") && page.contains("dropout 0.5 vs no dropout"), "\(page)")
    let figures = dir.appendingPathComponent("Reports/figures")
    let script = try String(contentsOf: figures.appendingPathComponent("tiny.gp"), encoding: .utf8)
    #expect(script.contains("set title 'Does dropout beat none?'"))
    #expect(FileManager.default.fileExists(atPath: figures.appendingPathComponent("tiny-curves.dat").path))
    let stored = try String(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"), encoding: .utf8)
    #expect(stored.contains("dropout 0.5"))
    let rerun = try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2"], in: dir)
    #expect(rerun.stderr.contains("4 cached, 0 to train"), "\(rerun.stderr)")
  }
}

extension CLITests {
  /// Results judged by a later build's regime rule are not rewritten by this build's older one: `report` and `run`
  /// stop with exit 2 and one line naming the file, the key and the fix, before training or writing anything.
  @Test func anOlderBuildRefusesResultsJudgedByANewerRule() throws {
    let spec = Self.tinySpec.replacingOccurrences(
      of: "regularizer.rate: 0.0}}\n",
      with: "regularizer.rate: 0.0}}\n  regime: {reference: {regularizer.rate: 0.0}, overfit_gap: 2, plateau: 1}\n")
    #expect(spec != Self.tinySpec)
    let dir = try Self.workspace(spec)
    #expect(try Self.run(["run", "tiny", "--scale", "smoke", "--publish", "--jobs", "2", "--plain"], in: dir).status == 0)
    let file = dir.appendingPathComponent("Reports/results/tiny.json")
    var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
    var verdict = try #require(json["verdict"] as? [String: Any])
    var regime = try #require(verdict["regime"] as? [String: Any])
    #expect(regime["rule"] as? String == "convergence-v4")
    regime["rule"] = "convergence-v99"
    verdict["regime"] = regime
    json["verdict"] = verdict
    let newer = try JSONSerialization.data(withJSONObject: json)
    try newer.write(to: file)
    let page = dir.appendingPathComponent("Reports/tiny.md")
    let pageBefore = try Data(contentsOf: page)
    for args in [["report", "--no-render"], ["run", "tiny", "--scale", "smoke", "--publish", "--retrain", "--plain"]] {
      let refused = try Self.run(args, in: dir)
      #expect(refused.status == 2, "\(args): \(refused.stderr)")
      #expect(
        refused.stderr.contains("tiny.json: verdict.regime.rule is convergence-v99, newer than this build's convergence-v4")
          && refused.stderr.contains("rebuild dropbench"), "\(refused.stderr)")
      #expect(!refused.stderr.contains("done"), "nothing trains: \(refused.stderr)")
    }
    #expect(try Data(contentsOf: file) == newer)
    #expect(try Data(contentsOf: page) == pageBefore)
  }
}

import Foundation
import Testing

/// `dropbench calibrate` end to end: a record written once, a second calibration refused, one recalibration with
/// fresh seeds allowed and logged, and the verdict run reading the chosen rung.
@Suite(.serialized) struct CalibrateCLITests {
  @Test func calibrateOnceRecalibrateOnceThenRun() throws {
    let check = "  check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}"
    let regime = "\n  regime: {reference: {regularizer.rate: 0.0}, most_regularized: {regularizer.rate: 0.5}, overfit_gap: 2, plateau: 1}"
    let spec = CLITests.tinySpec.replacingOccurrences(of: check, with: check + regime).replacingOccurrences(
      of: "train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05}",
      with: "train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05, schedule: cosine}")
    #expect(spec.contains("most_regularized") && spec.contains("schedule: cosine"))
    let dir = try CLITests.workspace(spec)
    let dry = try CLITests.run(["calibrate", "tiny", "--dry-run"], in: dir)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("20 pilot runs on seeds 1000, 1001, 1002, 1003, 1004"), "\(dry.stdout)")
    let first = try CLITests.run(["calibrate", "tiny", "--jobs", "2"], in: dir)
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    let file = dir.appendingPathComponent("Experiments/calibration/tiny.json")
    let text = try String(contentsOf: file, encoding: .utf8)
    #expect(text.contains("\"pilotSeeds\"") && text.contains("\"recalibration\" : false"))
    let again = try CLITests.run(["calibrate", "tiny"], in: dir)
    #expect(again.status == 2 && again.stderr.contains("already calibrated"), "\(again.stderr)")
    let clash = try CLITests.run(["calibrate", "tiny", "--recalibrate", "--pilot-seeds", "1000,7"], in: dir)
    #expect(clash.status == 2, "\(clash.stderr)")
    let re = try CLITests.run(["calibrate", "tiny", "--recalibrate", "--pilot-seeds", "2000,2001,2002", "--jobs", "2"], in: dir)
    #expect(re.status == 0, "\(re.stderr)")
    #expect(try String(contentsOf: file, encoding: .utf8).contains("\"recalibration\" : true"))
    let third = try CLITests.run(["calibrate", "tiny", "--recalibrate", "--pilot-seeds", "3000,3001"], in: dir)
    #expect(third.status == 2 && third.stderr.contains("already recalibrated once"), "\(third.stderr)")
    // The verdict run reads the calibration into its results and page.
    let run = try CLITests.run(["run", "tiny", "--jobs", "2", "--plain"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    // The results keep the calibration (the page shows it, chosen rung or not).
    let results = try String(contentsOf: dir.appendingPathComponent("Reports/results/tiny.json"), encoding: .utf8)
    #expect(results.contains("\"calibration\"") && results.contains("\"recalibration\" : true"))
    let page = try String(contentsOf: dir.appendingPathComponent("Reports/tiny.md"), encoding: .utf8)
    #expect(page.contains("### Calibration") && page.contains("one recalibration"), "\(page)")
  }

  /// `--extend` adds the ladder's untried rungs to a record where no rung met the conditions, on the record's pilot
  /// seeds, keeping the record's rungs as tried; it refuses to replace rungs or to run with nothing new.
  @Test func aRecordWithNoRungChosenCanBeExtendedByNewRungs() throws {
    let check = "  check: {kind: better_than, metric: test_accuracy, a: {regularizer.rate: 0.5}, b: {regularizer.rate: 0.0}}"
    let regime = "\n  regime: {reference: {regularizer.rate: 0.0}, most_regularized: {regularizer.rate: 0.5}, overfit_gap: 2, plateau: 1}"
    let spec = CLITests.tinySpec.replacingOccurrences(of: check, with: check + regime).replacingOccurrences(
      of: "train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05}",
      with: "train: {epochs: 2, batch: 64, optimizer: sgd, lr: 0.05, schedule: cosine}")
    let dir = try CLITests.workspace(spec)
    #expect(try CLITests.run(["calibrate", "tiny", "--extend"], in: dir).status == 2)  // nothing to extend
    #expect(try CLITests.run(["calibrate", "tiny", "--extend", "--rescore"], in: dir).status == 2)
    let first = try CLITests.run(["calibrate", "tiny", "--jobs", "2"], in: dir)
    #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    let file = dir.appendingPathComponent("Experiments/calibration/tiny.json")
    // Two epochs against one on 256 images: the pilots move far more than a point, so no rung is chosen.
    try #require(first.stdout.contains("no rung meets the conditions"), "\(first.stdout)")
    let nothingNew = try CLITests.run(["calibrate", "tiny", "--extend"], in: dir)
    #expect(nothingNew.status == 2 && nothingNew.stderr.contains("has no rung the record has not tried"), "\(nothingNew.stderr)")
    let specFile = dir.appendingPathComponent("Experiments/tiny.yaml")
    try (String(contentsOf: specFile, encoding: .utf8) + "\ncalibration:\n  ladder: [{}, {train.epochs: 4}]\n")
      .write(to: specFile, atomically: true, encoding: .utf8)
    let extended = try CLITests.run(["calibrate", "tiny", "--extend", "--jobs", "2"], in: dir)
    #expect(extended.status == 0, "\(extended.stdout)\(extended.stderr)")
    let record = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
    #expect((record?["rungs"] as? [Any])?.count == 2)
    #expect(record?["extendedFrom"] != nil && (record?["pilotSeeds"] as? [Int]) == [1000, 1001, 1002, 1003, 1004])
    // A re-score judges the record's own pilots again by the current rule: nothing trains, the rungs and seeds
    // stay, and it may be repeated (no pilot has a test metric, so it sees nothing of a verdict).
    for _ in 0..<2 {
      let rescored = try CLITests.run(["calibrate", "tiny", "--rescore", "--jobs", "2"], in: dir)
      #expect(rescored.status == 0, "\(rescored.stdout)\(rescored.stderr)")
      #expect(!rescored.stderr.contains(": done"), "a re-score trained pilots: \(rescored.stderr)")
      let again = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
      #expect((again?["rungs"] as? [Any])?.count == 2 && again?["rescoredFrom"] != nil)
      #expect((again?["pilotSeeds"] as? [Int]) == [1000, 1001, 1002, 1003, 1004])
    }
    // The ladder may not drop a recorded rung.
    try String(contentsOf: specFile, encoding: .utf8).replacingOccurrences(of: "[{}, {train.epochs: 4}]", with: "[{train.epochs: 8}]")
      .write(to: specFile, atomically: true, encoding: .utf8)
    let replaced = try CLITests.run(["calibrate", "tiny", "--extend"], in: dir)
    #expect(replaced.status == 2, "\(replaced.stderr)")
  }
}

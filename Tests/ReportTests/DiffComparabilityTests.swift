import Experiments
import Foundation
import Testing

@testable import Report

/// `diff` compares like with like and does not let a large move hide behind a missing test.
@Suite struct DiffComparabilityTests {
  @Test func aScaleOrOverrideMismatchIsNotComparableNeverUnchanged() throws {
    let base = Fixtures.numeric()
    var smoke = base
    smoke.scale = "smoke"
    let diff = DiffReport.compare([base], [smoke])
    #expect(diff.notComparable.count == 1 && !diff.noSignificantChange && !diff.hasRegression)
    #expect(diff.experiments[0].points.isEmpty)
    let md = diff.markdown()
    #expect(md.contains("**Not comparable**") && md.contains("scale differs: default (A) vs smoke (B)"), "\(md)")
    #expect(!md.contains("No significant change"))
    var overridden = base
    overridden.overrides = ["train.epochs=1"]
    let other = DiffReport.compare([base], [overridden])
    #expect(other.experiments[0].notComparable == "overrides differ: none (A) vs train.epochs=1 (B)")
  }

  /// One seed a side cannot be tested, but a 40-point drop must still read as a regression, on the first screen.
  @Test func aLargeMoveBelowTheSeedCountIsFlagged() throws {
    func seedZero(shift: Double) -> ExperimentResults {
      var r = Fixtures.numeric()
      r.runs = r.runs.filter { $0.seed == 0 }.map { run in
        var run = run
        let isPoint = run.point["regularizer.rate"]?.asDouble == 0.5
          && run.point["dataset"]?.asMap?["name"]?.asString == "set-a"
        if isPoint, let v = run.final["test_accuracy"] { run.final["test_accuracy"] = v + shift }
        return run
      }
      return r
    }
    let oneSeed = seedZero(shift: 0)
    let degraded = seedZero(shift: -40)
    let diff = DiffReport.compare([oneSeed], [degraded])
    let e = try #require(diff.experiments.first)
    let p = try #require(e.points.first { $0.label == "set-a, regularizer.rate=0.5" })
    #expect(p.test == .none && !p.significant && p.large == true && p.change == .worse)
    #expect(diff.hasRegression && e.changed)
    let firstLines = diff.markdown().split(separator: "\n").prefix(6).joined(separator: "\n")
    #expect(firstLines.contains("**Regression.**") && firstLines.contains("`\(e.id)`"), "\(firstLines)")
    // A small move without a test stays unflagged.
    let nudged = seedZero(shift: -0.5)
    let small = try #require(DiffReport.compare([oneSeed], [nudged]).experiments.first?.points.first { $0.label == p.label })
    #expect(small.large == nil && !small.flagged)
  }

  @Test func filteringKeepsOneExperimentOrOnlyTheChanges() throws {
    let worse = Fixtures.numeric { set, rate, seed, v in set == "set-a" && rate == 0.0 ? v - 2 - 0.1 * Double(seed) : v }
    let diff = DiffReport.compare([Fixtures.numeric(), Fixtures.arms()], [worse, Fixtures.arms()])
    let one = diff.filtered(ids: [Fixtures.arms().experimentID], onlyChanged: false)
    #expect(one.experiments.map(\.id) == [Fixtures.arms().experimentID] && !one.hasRegression)
    let changed = diff.filtered(ids: [], onlyChanged: true)
    #expect(changed.experiments.count == 1 && changed.hasRegression)
    #expect(changed.experiments[0].points.allSatisfy(\.flagged) && !changed.experiments[0].points.isEmpty)
  }
}

@Suite struct ExportAndSummaryTests {
  @Test func tidyCSVHasOneRowPerRunAndMetricAndQuotes() throws {
    var results = Fixtures.arms()
    results.overrides = ["train.epochs=1", "+sweep.a=[1, 2]"]
    let csv = TidyExport.csv([results])
    let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.first == Substring(TidyExport.columns.joined(separator: ",")))
    let metricRows = results.runs.reduce(0) { $0 + max(1, $1.final.count) }
    #expect(lines.count == 1 + metricRows)
    // The overrides hold a comma: quoted, so every row parses back to the header's number of fields.
    #expect(lines[1].contains("\"train.epochs=1 +sweep.a=[1, 2]\""))
    #expect(TidyExport.quoted("a\"b") == "\"a\"\"b\"" && TidyExport.quoted("plain") == "plain")
  }

  @Test func readmeSummarySplicesBetweenItsMarkersOnly() throws {
    let summary = ReadmeSummary.markdown([Fixtures.numeric(), Fixtures.arms()])
    #expect(summary.hasPrefix("2 claims (default scale)"))
    for v in Verdict.allCases { #expect(summary.contains("**\(v.rawValue)**")) }
    let readme = "# X\n\(ReadmeSummary.begin)\nPLACEHOLDER\n\(ReadmeSummary.end)\nrest\n"
    let spliced = try #require(ReadmeSummary.splice(summary, into: readme))
    #expect(spliced.hasPrefix("# X\n\(ReadmeSummary.begin)\n2 claims") && spliced.hasSuffix("\(ReadmeSummary.end)\nrest\n"))
    #expect(!spliced.contains("PLACEHOLDER"))
    #expect(ReadmeSummary.splice(summary, into: "no markers") == nil)
    #expect(ReadmeSummary.splice(summary, into: ReadmeSummary.splice(summary, into: readme)!) == spliced)
  }
}

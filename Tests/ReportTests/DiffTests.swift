import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct DiffTests {
  @Test func identicalInputsHaveNoSignificantChange() throws {
    let r = [Fixtures.numeric(), Fixtures.arms()]
    let diff = DiffReport.compare(r, r, labelA: "HEAD~1", labelB: "HEAD")
    #expect(diff.noSignificantChange)
    #expect(!diff.hasRegression)
    #expect(diff.added.isEmpty && diff.removed.isEmpty)
    let md = diff.markdown()
    #expect(md.contains("**No significant change** in 2 experiments."))
    #expect(md.contains("# Results diff: `HEAD~1` → `HEAD`"))
    let point = try #require(diff.experiments[1].points.first { $0.label == "set-a, regularizer.rate=0.5" })
    #expect(point.test == .paired)
    #expect(point.delta == 0)
    #expect(!point.significant)
  }

  /// Names given to the arms between two revisions change no point: points pair by their coordinates, and the
  /// newer side's names label them.
  @Test func namingArmsBetweenRevisionsChangesNoPoint() throws {
    let named = try Fixtures.placement()
    var unnamed = named
    unnamed.spec.names = nil
    unnamed = unnamed.reevaluated()
    let diff = DiffReport.compare([unnamed], [named], labelA: "before", labelB: "after")
    let e = try #require(diff.experiments.first)
    #expect(e.addedPoints.isEmpty && e.removedPoints.isEmpty)
    #expect(e.points.map(\.label) == ["no DropBlock", "DropBlock after stage 2", "DropBlock in the branch"])
    #expect(diff.noSignificantChange)
  }

  @Test func significantRegressionIsDetectedPaired() throws {
    // set-a at rate 0.0 drops by about 2 points on every seed (the verdict stays: 0.5 was already best).
    let worse = Fixtures.numeric { set, rate, seed, v in
      set == "set-a" && rate == 0.0 ? v - 2 - 0.1 * Double(seed) : v
    }
    let diff = DiffReport.compare([Fixtures.numeric()], [worse])
    let e = try #require(diff.experiments.first)
    #expect(!e.verdictChanged)
    let p = try #require(e.points.first { $0.label == "set-a, regularizer.rate=0" })
    #expect(p.test == .paired)
    #expect(p.significant)
    #expect(p.change == .worse)
    #expect(abs(p.delta! + 2.1) < 1e-9)
    #expect(p.ciHigh! < 0)
    #expect(diff.hasRegression)
    #expect(diff.markdown().contains("**Regression.**"))
    #expect(diff.markdown().contains("**worse**"))
    // Other points did not change.
    #expect(e.points.filter(\.significant).count == 1)
  }

  @Test func improvementIsNotARegression() throws {
    let better = Fixtures.numeric { set, rate, seed, v in
      set == "set-a" && rate == 0.0 ? v + 0.5 + 0.05 * Double(seed) : v
    }
    let diff = DiffReport.compare([Fixtures.numeric()], [better])
    #expect(!diff.noSignificantChange)
    #expect(!diff.hasRegression)
    #expect(diff.experiments[0].points.contains { $0.significant && $0.change == .better })
  }

  @Test func verdictFlipIsARegression() throws {
    // set-a: no dropout (rate 0.0) becomes best, outside the claimed range → fails.
    let flipped = Fixtures.numeric { set, rate, _, v in set == "set-a" && rate == 0.0 ? v + 5 : v }
    #expect(flipped.verdict.verdict == .fails)
    let diff = DiffReport.compare([Fixtures.numeric()], [flipped])
    let e = try #require(diff.experiments.first)
    #expect(e.verdictChanged)
    #expect(e.verdictA == .holds && e.verdictB == .fails)
    #expect(diff.hasRegression)
    #expect(diff.markdown().contains("[Re] holds → [¬Re] fails (verdict changed)"))
  }

  @Test func changesToAndFromProxyInvalidAreVerdictChanges() throws {
    let met = Fixtures.regime(gap: 13.7, lateRise: 0.2)
    let unmet = Fixtures.regime(gap: 0.5, lateRise: 1.5)
    #expect(met.verdict.verdict == .holds && unmet.verdict.verdict == .proxyInvalid)
    for (a, b) in [(met, unmet), (unmet, met)] {
      let diff = DiffReport.compare([a], [b])
      let e = try #require(diff.experiments.first)
      #expect(e.verdictChanged)
      #expect(diff.hasRegression)
      #expect(!diff.noSignificantChange)
      // The test metric did not move: only the regime did.
      #expect(!e.points.contains { $0.significant })
    }
    let md = DiffReport.compare([met], [unmet]).markdown()
    #expect(md.contains("## toy-regime: [Re] holds → [Re?] proxy invalid (verdict changed)"))
    #expect(md.contains("1 verdict change, 0 point changes"))
    #expect(DiffReport.compare([unmet], [unmet]).noSignificantChange)
  }

  @Test func stalledPointsAreNamedApartFromDivergedOnes() throws {
    var stalled = Fixtures.numeric()
    for i in stalled.runs.indices where stalled.runs[i].status == .diverged && stalled.runs[i].divergedAtStep != 120 {
      stalled.runs[i].status = .stalled
      stalled.runs[i].divergedAtStep = nil
    }
    // In A the same point trained (94% on every seed); in B it stalled.
    var a = stalled
    let point = try #require(
      a.spec.sweep.points().first { p in a.runs.contains { $0.status == .stalled && $0.point == p.coordinates } })
    for i in a.runs.indices where a.runs[i].status == .stalled {
      a.runs[i] = Fixtures.run(point, seed: a.runs[i].seed, accuracy: 94, divergedAt: 0)
    }
    let diff = DiffReport.compare([a], [stalled])
    let p = try #require(diff.experiments.first?.points.first { $0.label == "set-b, regularizer.rate=0.9" })
    #expect(p.significant && p.change == .worse && p.note == "now stalls (never trains)")
    #expect(p.stalledB == 3 && p.divergedB == 3)
    let md = diff.markdown()
    #expect(md.contains("| set-b, regularizer.rate=0.9 | 3 | "))
    #expect(md.contains("| 0 (+3 stalled) | stalled |"))
    // The partly diverged point keeps its diverged count.
    #expect(md.contains("| 2 (+1 diverged) |"))
  }

  @Test func unmatchedSeedsUseWelchAndNewDivergenceCounts() throws {
    let b = Fixtures.numeric { set, rate, seed, v in
      if set == "set-a" && rate == 0.5 && seed == 0 { return nil }  // seed 0 now diverges
      if set == "set-b" && rate == 0.0 { return nil }  // the whole point now diverges
      return v
    }
    let diff = DiffReport.compare([Fixtures.numeric()], [b])
    let e = try #require(diff.experiments.first)
    let welch = try #require(e.points.first { $0.label == "set-a, regularizer.rate=0.5" })
    #expect(welch.test == .welch)
    #expect(welch.nB == 2 && welch.divergedB == 1)
    let diverged = try #require(e.points.first { $0.label == "set-b, regularizer.rate=0" })
    #expect(diverged.significant && diverged.change == .worse && diverged.note == "now diverges")
    #expect(diff.hasRegression)
  }

  @Test func addedAndRemovedExperimentsAndJSON() throws {
    let diff = DiffReport.compare([Fixtures.numeric()], [Fixtures.arms()], labelA: "a", labelB: "b")
    #expect(diff.added == ["toy-arms"])
    #expect(diff.removed == ["toy-p-sweep"])
    #expect(diff.experiments.isEmpty)
    #expect(!diff.hasRegression)
    let json = try diff.json()
    let decoded = try JSONDecoder().decode(DiffReport.self, from: Data(json.utf8))
    #expect(decoded == diff)
    #expect(json.contains("\"hasRegression\" : false"))
    #expect(diff.markdown().contains("Added experiments: `toy-arms`."))
  }

  @Test func compareThroughALoaderClosure() throws {
    let diff = try DiffReport.compare(revisionA: "old", revisionB: nil) { rev in
      rev == "old" ? [Fixtures.numeric()] : [Fixtures.numeric { _, _, _, v in v - 3 }]
    }
    #expect(diff.labelA == "old" && diff.labelB == "working tree")
    #expect(diff.hasRegression)
  }
}

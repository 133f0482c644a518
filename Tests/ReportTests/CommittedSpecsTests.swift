import Experiments
import Foundation
import Testing

@testable import Report

/// The repository's own specs and stored results: every spec names every arm, and the names reach the committed
/// results (run before names existed) through the report's adoption of a spec's descriptive parts, so that
/// regenerating `Reports/` retrains nothing.
@Suite struct CommittedSpecsTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func specs() throws -> [ExperimentSpec] {
    let directory = root.appendingPathComponent("Experiments")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
      .map { name in
        let url = directory.appendingPathComponent(name)
        return try ExperimentSpec.parse(yaml: String(contentsOf: url, encoding: .utf8), fileName: "Experiments/\(name)")
      }
  }

  @Test func everySpecNamesEveryArm() throws {
    let specs = try Self.specs()
    #expect(specs.count >= 29)
    for spec in specs {
      let points = spec.points()
      #expect(points.allSatisfy { !$0.parts.isEmpty && $0.parts.allSatisfy(\.named) }, "\(spec.id): an unnamed axis")
      #expect(Set(points.map(\.label)).count == points.count, "\(spec.id): two arms read alike")
      #expect(spec.names?.axes.allSatisfy { $0.title != nil } == true, "\(spec.id): an axis without a title")
    }
  }

  /// The stored results take the spec file's names (nothing else of their spec differs), and then no comparison in
  /// the index or on the page reads like another or shows a raw `key=value` label.
  @Test func theNamesReachTheCommittedResults() throws {
    let specs = Dictionary(uniqueKeysWithValues: try Self.specs().map { ($0.id, $0) })
    let stored = try ResultsStore.loadAll(from: Self.root.appendingPathComponent("Reports/results"))
    #expect(!stored.isEmpty)
    for var results in stored {
      let current = try #require(specs[results.experimentID])
      if results.spec.names != current.names {
        let adopted = results.spec.adoptingDescription(of: current, scale: results.scale)
        #expect(
          adopted != nil,
          "\(results.experimentID): its results were run with another spec, so its names cannot reach its page")
        results.spec = adopted?.spec ?? results.spec
      }
      results = results.reevaluated()
      let ours = VerdictTable.ours(results)
      let comparisons = VerdictTable.pairedComparisons(results.verdict, check: results.spec.claim.check)
      #expect(Set(comparisons).count == comparisons.count, "\(results.experimentID): \(ours)")
      for key in results.spec.sweep.keys {
        #expect(!ours.contains("\(key)="), "\(results.experimentID): \(ours)")
      }
      let md = ExperimentPage.markdown(for: results)
      let rows =
        md.components(separatedBy: "### Comparisons").dropFirst().first?.split(separator: "\n")
        .filter { $0.hasPrefix("| ") }.dropFirst() ?? []
      #expect(Set(rows).count == rows.count, "\(results.experimentID): two comparison rows read alike")
      let layout = ExperimentLayout(results)
      #expect(Set(layout.categories).count == layout.categories.count, "\(results.experimentID)")
    }
  }

  /// The committed results are what this code decides from the committed specs and calibration records: the
  /// claim each was assembled with is the spec's claim now, its calibration record is the one in
  /// `Experiments/calibration`, and re-evaluating its runs gives its stored verdict. A rule of the gate or a spec
  /// changed without `dropbench run <id>` re-assembling the results (it retrains nothing) fails here, so a stale
  /// verdict cannot sit in `Reports/`.
  @Test func everyCommittedVerdictIsWhatTheCodeDecides() throws {
    let specs = Dictionary(uniqueKeysWithValues: try Self.specs().map { ($0.id, $0) })
    let stored = try ResultsStore.loadAll(from: Self.root.appendingPathComponent("Reports/results"))
    for results in stored where results.scale == "default" {
      let current = try #require(specs[results.experimentID])
      #expect(results.spec.claim == current.claim, "\(results.experimentID): assembled with another claim; run it again")
      let file = Self.root.appendingPathComponent("Experiments/calibration/\(results.experimentID).json")
      let calibration = try FileManager.default.contents(atPath: file.path).map {
        try JSONDecoder().decode(CalibrationFile.self, from: $0)
      }
      #expect(results.calibration == calibration, "\(results.experimentID): assembled with another calibration record")
      #expect(
        results.reevaluated().verdict == results.verdict,
        "\(results.experimentID): the stored verdict is not what this code decides; run it again")
    }
  }
}

/// A calibration whose probes ran on every pilot seed reads one entry per arm on the page: "ok on all n" or the
/// seeds where it was not.
@Suite struct CalibrationProbesPageTests {
  @Test func probesOnEverySeedReadOneEntryPerArm() throws {
    let url = CommittedSpecsTests.root.appendingPathComponent("Reports/results/mlp-regularizers-compare.json")
    var results = try JSONDecoder().decode(ExperimentResults.self, from: Data(contentsOf: url))
    var calibration = try #require(results.calibration)
    let point: [String: ConfigValue] = ["regularizer.name": .string("dropconnect")]
    calibration.rungs[0].probes = [1000, 1001, 1002].map { seed in
      CalibrationFile.Probe(point: point, label: "DropConnect", epochs: 100, seed: seed, status: .ok, divergedAtStep: nil)
    } + [1000, 1001].map { seed in
      CalibrationFile.Probe(
        point: ["regularizer.name": .string("structural-dropout")], label: "Structural Dropout", epochs: 100,
        seed: seed, status: seed == 1001 ? .diverged : .ok, divergedAtStep: seed == 1001 ? 341 : nil)
    }
    results.calibration = calibration
    let section = ExperimentPage.calibrationSection(results)
    #expect(section.contains("Rung 1's trainability probes (each other arm for 100 epochs on seeds 1000, 1001, 1002"))
    #expect(section.contains("DropConnect ok on all 3; Structural Dropout diverged at step 341 on seed 1001"))
    #expect(section.contains("so the rung's pilots were not trained"))
  }
}

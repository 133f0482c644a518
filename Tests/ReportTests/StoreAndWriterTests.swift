import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct ResultsStoreTests {
  @Test func loadsAllSortedById() throws {
    let dir = try Fixtures.temporaryDirectory("store")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Fixtures.json(Fixtures.numeric()).write(to: dir.appendingPathComponent("toy-p-sweep.json"))
    try Fixtures.json(Fixtures.arms()).write(to: dir.appendingPathComponent("toy-arms.json"))
    try Data("not results".utf8).write(to: dir.appendingPathComponent("notes.txt"))
    let all = try ResultsStore.loadAll(from: dir)
    #expect(all.map(\.experimentID) == ["toy-arms", "toy-p-sweep"])
    #expect(all[1] == Fixtures.numeric())
  }

  @Test func badFilesAreErrorsNamingTheFile() throws {
    let dir = try Fixtures.temporaryDirectory("store-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let broken = dir.appendingPathComponent("broken.json")
    try Data("{\"schemaVersion\": 1, \"experimentID\": 3}".utf8).write(to: broken)
    #expect(throws: ResultsStoreError.self) { try ResultsStore.loadAll(from: dir) }
    do {
      _ = try ResultsStore.loadAll(from: dir)
    } catch {
      #expect(error.file == broken.path)
      #expect(error.description.hasPrefix(broken.path + ": cannot decode results"))
    }
    try FileManager.default.removeItem(at: broken)
    let future = dir.appendingPathComponent("future.json")
    var json = String(decoding: try Fixtures.json(Fixtures.arms()), as: UTF8.self)
    json = json.replacingOccurrences(of: "\"schemaVersion\" : 1", with: "\"schemaVersion\" : 2")
    try Data(json.utf8).write(to: future)
    do {
      _ = try ResultsStore.loadAll(from: dir)
      Issue.record("expected an error")
    } catch {
      #expect(error.file == future.path)
      #expect(error.message.contains("unknown schemaVersion 2"))
    }
    #expect(throws: ResultsStoreError.self) { try ResultsStore.loadAll(from: dir.appendingPathComponent("missing")) }
  }
}

@Suite struct ReportWriterTests {
  let taxonomy = ["dropout": "noise", "dropblock": "structured noise"]

  @Test func writesEverythingAndRewritesNothingTheSecondTime() throws {
    let dir = try Fixtures.temporaryDirectory("writer")
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = [Fixtures.numeric(), Fixtures.arms()]
    let first = try ReportWriter.writeAll(results: results, to: dir, taxonomy: taxonomy, render: false)
    #expect(
      first.written == [
        "README.md", "figures/toy-arms-curves.dat", "figures/toy-arms-curves.gp", "figures/toy-arms.dat",
        "figures/toy-arms.gp", "figures/toy-p-sweep-curves.dat", "figures/toy-p-sweep-curves.gp",
        "figures/toy-p-sweep.dat", "figures/toy-p-sweep.gp", "toy-arms.md", "toy-p-sweep.md",
      ])
    let page = dir.appendingPathComponent("toy-p-sweep.md")
    let before = try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date
    let second = try ReportWriter.writeAll(results: results, to: dir, taxonomy: taxonomy, render: false)
    #expect(second.written.isEmpty)
    #expect(second.unchanged.count == 11)
    let after = try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date
    #expect(before == after)
    let readme = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("(toy-p-sweep.md)"))
  }

  /// The pages and table show the verdict recomputed from the stored runs, not the stored one (here deliberately
  /// wrong, and missing the regime gate); the results themselves are left as they were.
  @Test func rendersTheReevaluatedVerdict() throws {
    let dir = try Fixtures.temporaryDirectory("writer-reevaluate")
    defer { try? FileManager.default.removeItem(at: dir) }
    var stale = Fixtures.numeric()
    stale.verdict = ClaimEvaluation(
      verdict: .fails, explanation: "Stale verdict from an older build.", metric: "test_accuracy")
    var ungated = Fixtures.regime(gap: 0.5, lateRise: 1.5)
    ungated.verdict = evaluate(ungated.spec.claim.check, points: ungated.spec.sweep.points(), runs: ungated.runs)
    #expect(ungated.verdict.verdict == .holds)
    let before = [stale, ungated]
    let summary = try ReportWriter.writeAll(results: before, to: dir, taxonomy: taxonomy, render: false)
    #expect(summary.changedVerdicts == ["toy-p-sweep: fails → holds", "toy-regime: holds → proxy invalid"])
    let page = try String(contentsOf: dir.appendingPathComponent("toy-p-sweep.md"), encoding: .utf8)
    #expect(page.hasPrefix("# [Re] "))
    #expect(page.contains("## Verdict: [Re] holds"))
    #expect(!page.contains("Stale verdict"))
    let gated = try String(contentsOf: dir.appendingPathComponent("toy-regime.md"), encoding: .utf8)
    #expect(gated.contains("## Verdict: [Re?] proxy invalid"))
    #expect(gated.contains("### Regime"))
    let readme = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("| [Re] holds | default, 3 seeds |"))
    #expect(readme.contains("| [Re?] proxy invalid | default, 3 seeds |"))
    #expect(!readme.contains("[¬Re] fails |"))
    #expect(readme.contains("2 claims: 1 holds, 0 fails, 0 inconclusive, 1 proxy invalid, 0 not testable."))
    // Nothing else is written: no results directory appears, and the inputs keep their stored verdicts.
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path))
    #expect(before[0].verdict.verdict == .fails && before[1].verdict.verdict == .holds)
    // Stored verdicts that are current change nothing.
    let current = try ReportWriter.writeAll(results: [Fixtures.numeric()], to: dir, taxonomy: taxonomy, render: false)
    #expect(current.changedVerdicts.isEmpty)
  }

  /// Pages and figures of an experiment whose results are gone are deleted; hand-written files, the bench page and
  /// the mask figures (no marker) are kept.
  @Test func removesGeneratedFilesOfExperimentsWithoutResults() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-stale-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try ReportWriter.writeAll(
      results: [Fixtures.numeric(), Fixtures.arms()], to: dir, taxonomy: taxonomy, render: false)
    let keep = [
      "bench.md", "notes.md", "figures/masks-analogy.gp", "figures/masks-analogy.svg", "figures/toy-arms.svg",
      "figures/toy-arms-curves.png",
    ]
    for path in keep {
      try "hand-written\n".write(to: dir.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }
    let summary = try ReportWriter.writeAll(results: [Fixtures.numeric()], to: dir, taxonomy: taxonomy, render: false)
    // The learning curves go with their experiment: their script carries its marker.
    #expect(
      summary.removed == [
        "figures/toy-arms-curves.dat", "figures/toy-arms-curves.gp", "figures/toy-arms-curves.png",
        "figures/toy-arms.dat", "figures/toy-arms.gp", "figures/toy-arms.svg", "toy-arms.md",
      ])
    for path in keep.dropLast(2) {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path))
    }
    for path in ["toy-p-sweep.md", "figures/toy-p-sweep.gp", "README.md"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path))
    }
    let readme = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(!readme.contains("toy-arms"))
    #expect(ReportWriter.generatedID("x\n" + ReportWriter.pageMarker("a-b") + "\n") == "a-b")
    #expect(ReportWriter.generatedID("# a page that mentions results/x.json\nend\n") == nil)
  }

  @Test(.enabled(if: Fixtures.gnuplotAvailable, "gnuplot not on PATH; `make deps` installs gnuplot-nox"))
  func rendersChangedFiguresOnly() throws {
    let dir = try Fixtures.temporaryDirectory("writer-render")
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = [Fixtures.arms()]
    let first = try ReportWriter.writeAll(results: results, to: dir, taxonomy: taxonomy, render: true)
    #expect(first.rendered == ["toy-arms", "toy-arms-curves"])
    for stem in ["toy-arms", "toy-arms-curves"] {
      for ext in ["svg", "png"] {
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("figures/\(stem).\(ext)").path))
      }
    }
    let second = try ReportWriter.writeAll(results: results, to: dir, taxonomy: taxonomy, render: true)
    #expect(second.rendered.isEmpty)
  }
}

@Suite struct ReportTemporaryFileTests {
  /// A writer killed mid-write leaves `.<name>.dropbench-tmp-<pid>`; the next `writeAll` removes it (its pid is
  /// gone), and a live writer's file is kept.
  @Test func abandonedTemporariesAreSwept() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-tmp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let dead = dir.appendingPathComponent(".x.md\(ReportWriter.temporaryMarker)999999999")
    let live = dir.appendingPathComponent(".y.md\(ReportWriter.temporaryMarker)1")
    for url in [dead, live] { try Data("partial".utf8).write(to: url) }
    ReportWriter.sweepTemporaries(in: dir)
    #expect(!FileManager.default.fileExists(atPath: dead.path))
    #expect(FileManager.default.fileExists(atPath: live.path), "pid 1 is alive: its file stays")
    #expect(try ReportWriter.writeIfChanged(Data("page".utf8), to: dir.appendingPathComponent("z.md")))
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("z.md") }
    #expect(left == ["z.md"])
  }
}

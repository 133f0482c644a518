import ArgumentParser
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
          verdicts[results.experimentID] =
            "\(results.verdict.verdict.rawValue) (\(results.scale)\(results.overrides == nil ? "" : ", with --set"), "
            + "\(Set(results.runs.map(\.seed)).count) seeds)"
        } catch {
          FileHandle.standardError.write(Data("warning: \(error.description)\n".utf8))
          verdicts[String(name.dropLast(5))] = "unreadable results"
        }
      }
      var rows: [ExperimentList.Row] = []
      for path in try SpecFiles.all(in: paths.experiments) {
        let (spec, _) = try SpecFiles.load(path)
        var runs: [String: Int] = [:]
        for scale in spec.scales.keys.sorted() {
          runs[scale] = (try? spec.plan(scale: scale, overrides: [], catalog: CatalogBuilder.catalog))?.runs.count
        }
        rows.append(ExperimentList.Row(id: spec.id, method: spec.method, title: spec.title, runs: runs, verdict: verdicts[spec.id]))
      }
      switch format {
      case .json:
        print(String(decoding: try Runner.JSON.encode(rows), as: UTF8.self), terminator: "")
      case .md:
        print(ExperimentList.markdown(rows), terminator: "")
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
  /// The spec file's descriptive parts (paper block, arm names, claim question, a tuning budget that does not
  /// apply at the stored scale), taken into the stored spec when nothing else of it differs
  /// (`ExperimentSpec.adoptingDescription`): they reach the page without retraining.
  static func adoptedSpec(of stored: ExperimentResults, experiments: String) -> (spec: ExperimentSpec, parts: [String])? {
    let file = URL(fileURLWithPath: experiments).appendingPathComponent("\(stored.experimentID).yaml")
    guard let text = try? String(contentsOf: file, encoding: .utf8),
      let current = try? ExperimentSpec.parse(yaml: text, fileName: file.path)
    else { return nil }
    return stored.spec.adoptingDescription(of: current, scale: stored.scale)
  }

  /// A results file judged by a later build's regime rule would have its verdict (and every page) rewritten by
  /// this build's older rule — a stale binary beside a new checkout. Refused before anything is trained or written.
  static func refuseNewerRule(_ results: [ExperimentResults], in directory: URL) throws {
    guard let newer = results.first(where: { RegimeReport.isNewerThanThisBuild(rule: $0.verdict.regime?.rule) })
    else { return }
    throw UserFacingError(
      message: "\(directory.path)/\(newer.experimentID).json: verdict.regime.rule is "
        + "\(newer.verdict.regime?.rule ?? "?"), newer than this build's \(RegimeReport.convergenceRule); rebuild "
        + "dropbench from this checkout (swift build -c release) before running or reporting",
      code: 2)
  }

  /// `refuseNewerRule` on the readable results of a directory (none yet: nothing to refuse).
  static func refuseNewerRule(in directory: URL) throws {
    guard FileManager.default.fileExists(atPath: directory.path) else { return }
    try refuseNewerRule(try ResultsStore.loadReadable(from: directory).0, in: directory)
  }

  static func writeAll(paths: Paths, render: Bool = true, only: Set<String>? = nil) throws {
    let (readable, skipped) = try ResultsStore.loadReadable(from: paths.resultsURL)
    var results = readable
    for error in skipped {
      FileHandle.standardError.write(Data("warning: skipped \(error.description) (its page is left as it was)\n".utf8))
    }
    let unreadable = Set(skipped.map { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent })
    try refuseNewerRule(results, in: paths.resultsURL)
    var adoptedParts: [String: [String]] = [:]
    for (i, stored) in results.enumerated() {
      if let (spec, parts) = adoptedSpec(of: stored, experiments: paths.experiments) {
        results[i].spec = spec
        adoptedParts[stored.experimentID] = parts
      }
    }
    let taxonomy = Dictionary(
      CatalogBuilder.catalog.regularizers.map { ($0.key, $0.value.taxonomy.rawValue) }, uniquingKeysWith: { a, _ in a })
    let summary = try ReportWriter.writeAll(
      results: results, to: URL(fileURLWithPath: paths.reports), taxonomy: taxonomy,
      methods: CatalogBuilder.catalog.regularizers, render: render, only: only, keep: unreadable)
    for path in summary.removed {
      FileHandle.standardError.write(Data("removed \(paths.reports)/\(path) (no results for it any more)\n".utf8))
    }
    // Pages show verdicts recomputed with this build's checks; the results files get the same verdicts, so a
    // commit's results and pages agree and `diff` sees a verdict that a change of the statistics moved.
    for stored in results where only?.contains(stored.experimentID) ?? true {
      let current = stored.reevaluated()
      let file = paths.resultsURL.appendingPathComponent("\(stored.experimentID).json")
      guard current.verdict != stored.verdict || adoptedParts[stored.experimentID] != nil,
        FileManager.default.fileExists(atPath: file.path)
      else { continue }
      try AtomicFile.write(JSON.encode(current), to: file)
    }
    // The README's results summary, for the published results only.
    if paths.reportsOption == nil,
      let readme = try? String(contentsOfFile: "README.md", encoding: .utf8),
      let updated = ReadmeSummary.splice(ReadmeSummary.markdown(results.map { $0.reevaluated() }), into: readme)
    {
      try ReportWriter.writeIfChanged(Data(updated.utf8), to: URL(fileURLWithPath: "README.md"))
    }
    for (id, parts) in adoptedParts.sorted(by: { $0.key < $1.key }) {
      FileHandle.standardError.write(
        Data("\(parts.joined(separator: " and ")) of \(id) taken from its spec (no run setting changed)\n".utf8))
    }
    for change in summary.changedVerdicts {
      FileHandle.standardError.write(
        Data("verdict recomputed: \(change) (results file updated from its stored runs; nothing trained)\n".utf8))
    }
  }
}

import ArgumentParser
import Data
import Experiments
import Foundation
import Report
import Runner
import Tensor

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Regenerate Reports/ (pages, verdict table, figures, bench.md) from stored results; trains nothing.",
    discussion: "Markdown, .gp and .dat files are byte-identical when the results did not change.")
  @OptionGroup var paths: Paths
  @Flag(help: "Write .gp/.dat but do not run gnuplot.") var noRender = false

  func run() throws {
    try guarded {
      // Ctrl-C waits for the last page, so Reports/ is never half old, half new (then exit 130).
      try Interrupts.critical { try ReportGeneration.writeAll(paths: paths, render: !noRender) }
      print("wrote \(paths.reports)/README.md")
      do {
        if try PeerComparison.rewritePage(reports: URL(fileURLWithPath: paths.reports)) {
          print("wrote \(paths.reports)/bench.md (from bench.json)")
        }
      } catch {
        // The pages above are written; an unreadable sitting (an older format) only leaves its page as it was.
        FileHandle.standardError.write(
          Data("note: \(paths.reports)/bench.json is not readable (\(error)); bench.md left as it is — `make bench-peer` rewrites both\n".utf8))
      }
    }
  }
}

struct Masks: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw what each regularizer drops on real Fashion-MNIST images into Reports/figures/masks-*.",
    discussion: "Deterministic (fixed keys): the same code gives byte-identical .dat and .gp files.")
  @OptionGroup var paths: Paths
  @Flag(help: "Write .gp/.dat but do not run gnuplot.") var noRender = false

  func run() throws {
    try guarded {
      _ = try BLAS.configure(KernelSelection.automatic())
      let scripts = try MaskGallery.write(
        to: URL(fileURLWithPath: paths.reports).appendingPathComponent("figures"), render: !noRender)
      for s in scripts { print("wrote \(s.path)") }
    }
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare results between two git revisions (B defaults to the working tree).",
    discussion:
      "Exit 0: nothing significant changed; 3: a verdict flipped or a metric regressed significantly; 2: error.")
  @Argument(help: "Base revision.") var revA: String
  @Argument(help: "Compared revision (default: working tree).") var revB: String?
  @Option(help: "Output format: md or json.") var format: OutputFormat = .md

  func run() throws {
    var regression = false
    try guarded {
      let repo = URL(fileURLWithPath: ".")
      let a = try GitResults.load(revision: revA, repo: repo)
      let b = try GitResults.load(revision: revB, repo: repo)
      // A side without any results is not "no significant change": there is nothing to compare.
      for (results, label) in [(a, revA), (b, revB ?? "working tree")] where results.isEmpty {
        throw UserFacingError(
          message: "no results at \(label) (Reports/results is empty or missing there); pick a revision with results",
          code: 2)
      }
      let report = DiffReport.compare(a, b, labelA: revA, labelB: revB ?? "working tree")
      print(format == .json ? try report.json() : report.markdown(), terminator: "")
      regression = report.hasRegression
    }
    if regression { throw ExitCode(3) }
  }
}

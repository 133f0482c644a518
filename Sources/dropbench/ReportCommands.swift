import ArgumentParser
import Experiments
import Foundation
import Report
import Runner
import Tensor

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Regenerate Reports/ (pages, verdict table, figures, bench.md) from stored results; trains nothing.",
    discussion: """
      Markdown, .gp and .dat files are byte-identical when the results did not change. With ids, only those \
      experiments' pages and figures are rewritten (the verdict table always lists every experiment).
      """)
  @Argument(help: "Experiment ids (default: all with results).") var ids: [String] = []
  @OptionGroup var paths: Paths
  @Flag(help: "Write .gp/.dat but do not run gnuplot.") var noRender = false

  func run() throws {
    try guarded {
      for id in ids where !FileManager.default.fileExists(atPath: paths.resultsURL.appendingPathComponent("\(id).json").path) {
        _ = try SpecFiles.resolve(id, in: paths.experiments)  // an unknown id: one line with the nearest name
        throw UserFacingError(
          message: "\(id): no results at \(paths.resultsURL.path)/\(id).json (run it first: dropbench run \(id))",
          code: 2)
      }
      // Ctrl-C waits for the last page, so Reports/ is never half old, half new (then exit 130).
      let only = ids.isEmpty ? nil : Set(ids)
      try Interrupts.critical { try ReportGeneration.writeAll(paths: paths, render: !noRender, only: only) }
      print("wrote \(paths.reports)/README.md")
      do {
        if try BenchPage.rewrite(reports: URL(fileURLWithPath: paths.reports)) {
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
      let figures = URL(fileURLWithPath: paths.reports).appendingPathComponent("figures")
      for picture in try MaskGallery.pictures() {
        let figure = ImageGridFigure(
          name: picture.name, columns: picture.columns, title: picture.title,
          panels: picture.panels.map { ImageGridFigure.Panel(title: $0.title, pixels: $0.pixels, size: $0.size) })
        print("wrote \(try figure.write(to: figures, render: !noRender).path)")
      }
    }
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare results between two git revisions or results folders (B defaults to the working tree).",
    discussion: """
      dropbench diff <A> [<B>] [<id>…]: A and B are git revisions (HEAD~3, main) or folders of results (a \
      reports folder with results/ inside, or the results folder itself). Ids after them restrict the comparison \
      to those experiments. The first screen lists what changed. Results at different scales or with different \
      --set overrides are not comparable: they are listed as such, never as unchanged.
      Exit 0: nothing changed; 3: a verdict flipped or a metric got significantly (or largely) worse; 4: nothing \
      regressed but some experiment was not comparable; 2: error.
      """)
  @Argument(help: "Base (revision or folder), then optionally the compared side and experiment ids.")
  var arguments: [String]
  @Option(help: "Output format: md or json.") var format: OutputFormat = .md
  @Flag(help: "Show only the experiments and points that changed (or are not comparable).") var onlyChanged = false
  @Option(help: "Directory of experiment specs (to tell experiment ids from revisions).") var experiments =
    "Experiments"

  /// A side of the diff: a folder of results, else a git revision (nil: the working tree).
  static func load(_ side: String?) throws -> [ExperimentResults] {
    var isDirectory: ObjCBool = false
    if let side, FileManager.default.fileExists(atPath: side, isDirectory: &isDirectory), isDirectory.boolValue {
      let folder = URL(fileURLWithPath: side)
      let nested = folder.appendingPathComponent("results")
      let results = FileManager.default.fileExists(atPath: nested.path) ? nested : folder
      return try ResultsStore.loadAll(from: results)
    }
    return try GitResults.load(revision: side, repo: URL(fileURLWithPath: "."))
  }

  func run() throws {
    var code: Int32 = 0
    try guarded {
      let revA = arguments[0]
      var revB: String?
      var ids: [String] = []
      for argument in arguments.dropFirst() {
        if FileManager.default.fileExists(atPath: "\(experiments)/\(argument).yaml") {
          ids.append(argument)
        } else if revB == nil, ids.isEmpty {
          revB = argument
        } else {
          throw UserFacingError(
            message: "diff: '\(argument)' is neither an experiment in \(experiments)/ nor the one compared side "
              + "(usage: dropbench diff <A> [<B>] [<id>…])", code: 2)
        }
      }
      let a = try Self.load(revA)
      let b = try Self.load(revB)
      // A side without any results is not "no significant change": there is nothing to compare.
      for (results, label) in [(a, revA), (b, revB ?? "working tree")] where results.isEmpty {
        throw UserFacingError(
          message: "no results at \(label) (Reports/results is empty or missing there); pick a revision with results",
          code: 2)
      }
      for id in ids where !a.contains(where: { $0.experimentID == id }) && !b.contains(where: { $0.experimentID == id }) {
        throw UserFacingError(message: "diff: no results for \(id) on either side", code: 2)
      }
      let report = DiffReport.compare(a, b, labelA: revA, labelB: revB ?? "working tree")
        .filtered(ids: ids, onlyChanged: onlyChanged)
      print(format == .json ? try report.json() : report.markdown(), terminator: "")
      code = report.hasRegression ? 3 : report.notComparable.isEmpty ? 0 : 4
    }
    if code != 0 { throw ExitCode(code) }
  }
}

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write every stored run as tidy CSV: one row per run and final metric, for pandas and R.",
    discussion: """
      Columns: \(TidyExport.columns.joined(separator: ", ")). Reads <reports>/results (default Reports/results); \
      an unreadable results file is skipped with a warning.
      """)
  @Argument(help: "Experiment ids (default: all with results).") var ids: [String] = []
  @Option(name: [.short, .long], help: "Output file (default: standard output).") var output: String?
  @OptionGroup var paths: Paths

  func run() throws {
    try guarded {
      let (readable, skipped) = try ResultsStore.loadReadable(from: paths.resultsURL)
      for error in skipped { FileHandle.standardError.write(Data("warning: skipped \(error.description)\n".utf8)) }
      for id in ids where !readable.contains(where: { $0.experimentID == id }) {
        throw UserFacingError(message: "export: no results for \(id) in \(paths.resultsURL.path)", code: 2)
      }
      let chosen = ids.isEmpty ? readable : readable.filter { ids.contains($0.experimentID) }
      let text = TidyExport.csv(chosen)
      if let output {
        try SystemErrors.plain(path: output) { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) }
        FileHandle.standardError.write(
          Data("wrote \(output): \(text.split(separator: "\n").count - 1) rows from \(chosen.count) experiments\n".utf8))
      } else {
        print(text, terminator: "")
      }
    }
  }
}

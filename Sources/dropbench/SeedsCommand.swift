import ArgumentParser
import Data
import Experiments
import Foundation
import Report
import Runner
import Tensor

struct Seeds: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Seed-budget planner: paired seeds each stored comparison would need to detect what it observed.",
    discussion: """
      For every comparison behind each stored verdict: the paired seeds now, the observed difference Δ, the \
      minimum detectable effect (MDE, 5% two-sided, 80% power) and the seeds at which the observed |Δ| would be \
      detectable, then the runs and single-core training time that many seeds would add to the experiment. A \
      planning estimate: the observed Δ and spread are taken as the truth, and at five seeds both are noisy. \
      Never a reason to change a verdict: a follow-up with more seeds is a new run of the spec.
      """)
  @Argument(help: "Experiment ids (default: every experiment with stored results).") var experiments: [String] = []
  @Option(help: "Largest seed count considered.") var limit = 1000
  @OptionGroup var paths: Paths

  // Fewer than two seeds have no spread to plan with.
  func validate() throws {
    if limit < 2 {
      throw ValidationError("--limit must be at least 2 (a paired comparison needs two seeds), got \(limit)")
    }
  }

  func run() throws {
    try guarded {
      var results = try ResultsStore.loadAll(from: paths.resultsURL)
      if !experiments.isEmpty {
        let known = Set(results.map(\.experimentID))
        if let unknown = experiments.first(where: { !known.contains($0) }) {
          throw UserFacingError(message: "no stored results for '\(unknown)' in \(paths.resultsURL.path)", code: 2)
        }
        results = results.filter { experiments.contains($0.experimentID) }
      }
      guard !results.isEmpty else { throw UserFacingError(message: "no stored results to plan from", code: 2) }
      print(
        results.map { SeedBudgetText.markdown(SeedBudget.plan($0, limit: limit), verdict: $0.verdict.verdict.rawValue) }
          .joined(separator: "\n"), terminator: "")
    }
  }
}

enum SeedBudgetText {
  static func markdown(_ plan: SeedBudget.Plan, verdict: String) -> String {
    func num(_ v: Double?) -> String { v.map { String(format: "%+.2f", $0) } ?? "–" }
    var s = "## \(plan.experimentID) (\(verdict)): \(plan.seeds) seeds × \(plan.points) grid points\n\n"
    s += "| comparison | paired seeds | Δ | MDE now | seeds to detect Δ |\n|---|--:|--:|--:|--:|\n"
    for l in plan.lines {
      let needed = l.needed.map(String.init) ?? (l.note ?? "–")
      s +=
        "| \(l.label) | \(l.n) | \(num(l.meanDiff)) | \(l.mde.map { String(format: "%.2f", $0) } ?? "–") | \(needed) |\n"
    }
    if let all = plan.seedsForAll {
      s += "\nEvery estimable comparison detectable at \(all) seeds"
      s +=
        all > plan.seeds
        ? ": \(all - plan.seeds) more seed\(all - plan.seeds == 1 ? "" : "s"), \(plan.extraRuns) more runs, about "
          + "\(Fmt.duration(plan.extraSeconds)) of "
          + "single-core training.\n"
        : " — the seeds there are.\n"
    } else {
      s += "\nNo comparison has a difference and a spread to plan from.\n"
    }
    return s
  }
}

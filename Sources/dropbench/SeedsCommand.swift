import ArgumentParser
import Experiments
import Foundation
import Report

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
        results.map { SeedBudgetPage.markdown(SeedBudget.plan($0, limit: limit), verdict: $0.verdict.verdict.rawValue) }
          .joined(separator: "\n"), terminator: "")
    }
  }
}

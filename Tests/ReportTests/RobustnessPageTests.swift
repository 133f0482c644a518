import Experiments
import Foundation
import Testing

@testable import Report

/// The robustness axis on the page: both settings' means per arm and each arm's paired difference from the regime
/// reference under both, said to be outside the verdict; the verdict itself does not move.
@Suite struct RobustnessPageTests {
  /// The numeric fixture with an axis over rates 0.0 and 0.5: the variant adds 1 pt to rate 0.5 and nothing to 0.0.
  static func results(withVariants: Bool = true) -> ExperimentResults {
    var results = Fixtures.numeric()
    results.spec.claim.regime = Regime(reference: ["regularizer.rate": .double(0.0)], overfitGap: 2)
    results.spec.robustness = RobustnessAxis(
      title: "PyTorch's default initialisation", settings: ["model.init": .string("pytorch")],
      arms: [["regularizer.rate": .double(0.0)], ["regularizer.rate": .double(0.5)]])
    guard withVariants else { return results }
    results.robustnessRuns = results.runs.compactMap { run -> RunRecord? in
      guard let rate = run.point["regularizer.rate"]?.asDouble, rate != 0.9, run.status == .ok else { return nil }
      var variant = run
      variant.point[RobustnessAxis.coordinate] = .map(["model.init": .string("pytorch")])
      variant.final["test_accuracy"]! += rate == 0.5 ? 1 : 0
      return variant
    }
    return results
  }

  @Test func theSectionShowsBothSettingsAndThePairedDifferences() {
    let md = ExperimentPage.markdown(for: Self.results())
    #expect(md.contains("### Robustness: PyTorch's default initialisation"))
    #expect(md.contains("**Not part of the verdict**"))
    // set-a: 0.5 − 0.0 = +1.0, +1.1, +0.9 as run (mean +1.00, sd 0.1, 95% CI ± 0.25); with the variant +1 more.
    #expect(md.contains("+1.00 [+0.75, +1.25] (n = 3) | +2.00 [+1.75, +2.25] (n = 3) |"), "\(md)")
    // set-b: 96.0 − 95.0 etc. = +1.0, +1.1, +0.9 as well.
    #expect(md.components(separatedBy: "+2.00 [+1.75, +2.25]").count == 3)
    // The reference rows are listed with their means, not differenced against themselves.
    #expect(md.contains("| 90.00 ± 0.50 (n = 3) | 90.00 ± 0.50 (n = 3) |"))
    #expect(!md.contains("− rate"))
  }

  @Test func theVerdictAndTheOtherSectionsIgnoreTheVariants() {
    let with = Self.results()
    let without = Self.results(withVariants: false)
    #expect(with.reevaluated().verdict == without.reevaluated().verdict)
    let page = ExperimentPage.markdown(for: without)
    #expect(!page.contains("### Robustness"))
    // The page with the axis is the page without it plus the section, nothing else changed.
    let section = ExperimentPage.robustnessSection(with, layout: ExperimentLayout(with))
    #expect(!section.isEmpty)
    #expect(ExperimentPage.markdown(for: with).replacingOccurrences(of: section, with: "") == page)
  }

  /// `diff` compares a robustness axis's runs too, each variant as a point labelled like the page's.
  @Test func diffComparesTheRobustnessRuns() throws {
    let a = Self.results()
    var b = a
    b.robustnessRuns = b.robustnessRuns!.map { run in
      var run = run
      if run.point["regularizer.rate"]?.asDouble == 0.5 { run.final["test_accuracy"]! -= 2 + 0.1 * Double(run.seed) }
      return run
    }
    let same = DiffReport.compare([a], [a])
    #expect(same.noSignificantChange)
    let variants = same.experiments[0].points.filter { $0.label.hasSuffix(" · model.init=pytorch") }
    #expect(variants.count == 4, "\(same.experiments[0].points.map(\.label))")
    let diff = DiffReport.compare([a], [b])
    let moved = diff.experiments[0].points.filter(\.significant)
    #expect(moved.count == 2 && moved.allSatisfy { $0.label.hasSuffix(" · model.init=pytorch") && $0.change == .worse })
    #expect(!diff.experiments[0].verdictChanged && diff.hasRegression)
    // Results without an axis on one side: nothing to pair, no variant point.
    let none = DiffReport.compare([Self.results(withVariants: false)], [b])
    #expect(!none.experiments[0].points.contains { $0.label.contains("model.init") })
  }

  @Test func everyPageNamesTheInitialisation() {
    let md = ExperimentPage.markdown(for: Fixtures.numeric())
    #expect(md.contains("| initialisation | | He normal (logit layer LeCun normal), zero biases (`he`) |"))
  }

  /// Figures summed over a dictionary are summed in seed order, so a page renders the same in every process. The
  /// input is adversarial: in seed order (1e16 + 1) − 1e16 = 0, in a third of the other orders 1.
  @Test func perSeedMeansAreSummedInSeedOrder() {
    var unordered: Set<Double> = []
    for shift in 0..<64 {
      let values = [shift: 1e16, shift + 1: 1.0, shift + 2: -1e16]
      #expect(ExperimentPage.seedOrderMean(values) == 0)
      unordered.insert(values.values.reduce(0, +) / 3)
    }
    // This process's dictionary order would have broken some of these means (a check that the input can fail).
    #expect(unordered.count > 1)
  }
}

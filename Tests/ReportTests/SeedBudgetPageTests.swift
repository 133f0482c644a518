import Testing

@testable import Experiments
@testable import Report

@Suite struct SeedBudgetPageTests {
  /// One row per comparison (signed Δ, MDE, seeds needed or why not), then what detecting them all would cost.
  @Test func tableAndCost() {
    let plan = SeedBudget.Plan(
      experimentID: "tiny",
      lines: [
        SeedBudget.Line(label: "dropout vs none", n: 3, meanDiff: 0.5, mde: 1.25, needed: 9, note: nil),
        SeedBudget.Line(label: "a vs b", n: 1, meanDiff: nil, mde: nil, needed: nil, note: "one seed"),
      ],
      seeds: 3, seedsForAll: 9, points: 2, secondsPerSeed: 30)
    let md = SeedBudgetPage.markdown(plan, verdict: "holds")
    #expect(md.hasPrefix("## tiny (holds): 3 seeds × 2 grid points\n\n"))
    #expect(md.contains("| dropout vs none | 3 | +0.50 | 1.25 | 9 |\n"))
    #expect(md.contains("| a vs b | 1 | – | – | one seed |\n"))
    #expect(md.contains("detectable at 9 seeds: 6 more seeds, 12 more runs, about 3 min 00 s of single-core training."))
    let none = SeedBudget.Plan(experimentID: "x", lines: [], seeds: 2, seedsForAll: nil, points: 1, secondsPerSeed: 1)
    #expect(SeedBudgetPage.markdown(none, verdict: "fails").hasSuffix("No comparison has a difference and a spread to plan from.\n"))
  }
}

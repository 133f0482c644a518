import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct VerdictTableTests {
  let taxonomy = ["dropout": "architecture (noise on units)", "dropblock": "architecture (structured noise)"]

  /// Claims are grouped by Kukačka et al.'s categories, in their order, and the methods table lists every method
  /// with its finer attributes (`none` left out).
  @Test func claimsGroupedByCategoryAndMethodsTable() throws {
    let cutout = MethodFixture(
      taxonomy: .data, traits: Traits(dependsOn: .chance, phase: .training), summary: "Zeroes a square patch.",
      plugPoint: .input)
    let ns = MethodFixture(
      taxonomy: .architecture, traits: Traits(stochastic: false, dependsOn: .labelsAndValidation, phase: .trainingAndTest),
      summary: "Validation-driven.", plugPoint: .vector)
    let none = MethodFixture(taxonomy: .architecture, summary: "nothing")
    var data = Fixtures.numeric()
    data.spec.method = "cutout"
    data.experimentID = "toy-cutout"
    let md = VerdictTable.markdown(
      for: [Fixtures.arms(), data], taxonomy: ["cutout": "data", "dropblock": "architecture"],
      methods: ["cutout": cutout, "nsdropout": ns, "none": none])
    let dataSection = try #require(md.range(of: "### Via data\n"))
    let architecture = try #require(md.range(of: "### Via the network architecture\n"))
    #expect(dataSection.upperBound < architecture.lowerBound)
    let cutoutRow = try #require(md.range(of: "| [Toy retention p has an interior optimum](toy-cutout.md) | `cutout` | data |"))
    #expect(dataSection.upperBound < cutoutRow.lowerBound && cutoutRow.upperBound < architecture.lowerBound)
    #expect(md.contains("## Methods by taxonomy"))
    #expect(md.contains("| `cutout` | data | input images | yes | chance only | training only | Zeroes a square patch. |"))
    #expect(md.contains("| `nsdropout` | architecture | fully connected units | no | labels and validation data | training and test | Validation-driven. |"))
    #expect(!md.contains("| `none` |"))
    // Data methods first in the methods table too.
    let table = try #require(md.range(of: "## Methods by taxonomy"))
    let cutoutMethod = try #require(md.range(of: "| `cutout` | data | input images"))
    #expect(table.upperBound < cutoutMethod.lowerBound)
    #expect(cutoutMethod.lowerBound < md.range(of: "| `nsdropout` |")!.lowerBound)
  }

  @Test func oneRowPerExperimentSortedById() throws {
    let md = VerdictTable.markdown(for: [Fixtures.numeric(), Fixtures.arms()], taxonomy: taxonomy)
    let rows = md.split(separator: "\n").filter { $0.hasPrefix("| [") }
    #expect(rows.count == 2)
    #expect(
      rows[0].hasPrefix(
        "| [DropBlock beats no regularization](toy-arms.md) | `dropblock` | architecture (structured noise) |"))
    #expect(rows[1].hasPrefix("| [Toy retention p has an interior optimum](toy-p-sweep.md) | `dropout` |"))
    #expect(rows[1].contains("| best for p in [0.4, 0.8] (Fig. 9a) |"))
    #expect(rows[1].hasSuffix("| [Re] holds | default, 3 seeds |"))
  }

  @Test func oursNamesTheBestPointPerSeries() {
    let ours = VerdictTable.ours(Fixtures.numeric())
    #expect(
      ours == "set-a: best rate = 0.5 (retention p = 0.5), test_accuracy 91.00 ± 0.75; "
        + "set-b: best rate = 0.5 (retention p = 0.5), test_accuracy 96.00 ± 0.50")
  }

  @Test func oursListsPairedComparisonsAndClausesKeepParentheses() {
    let r = Fixtures.arms()
    #expect(VerdictTable.ours(r) == "dice: dropblock vs none +3.83 [3.12, 4.55]")
    #expect(VerdictTable.firstClause("A holds at p = 0.5. The rest") == "A holds at p = 0.5")
    #expect(
      VerdictTable.firstClause("Of 2 checks: 1 fails (a; b), 1 holds; rest") == "Of 2 checks: 1 fails (a; b), 1 holds")
  }

  @Test func explainsTheStatisticsAndIsDeterministic() {
    let a = VerdictTable.markdown(for: [Fixtures.numeric(), Fixtures.arms()], taxonomy: taxonomy)
    let b = VerdictTable.markdown(for: [Fixtures.arms(), Fixtures.numeric()], taxonomy: taxonomy)
    #expect(a == b)
    #expect(a.contains("## How to read this"))
    #expect(a.contains("95% Student-t interval"))
    #expect(a.contains("paired differences"))
    #expect(a.contains("2.5% per side") && a.contains("Holm"))
    #expect(a.contains("2 claims: 2 holds, 0 fails, 0 inconclusive, 0 proxy invalid, 0 not testable."))
  }

  @Test func paperColumnShowsTheEffectAndProxyInvalidHasItsBadge() throws {
    let unmet = Fixtures.regime(gap: 0.5, lateRise: 1.5, effect: "+1.3 pt error (Fig. 1 arms)")
    let md = VerdictTable.markdown(for: [Fixtures.numeric(), unmet], taxonomy: taxonomy)
    #expect(md.contains("| claim | method | taxonomy | paper | ours | verdict | scale / seeds |"))
    let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| [Dropout helps an over-fitting MLP]") })
    // The effect replaces the result when the spec gives one; the verdict is the gate's, with its badge.
    #expect(row.contains("| +1.3 pt error (Fig. 1 arms) (Fig. 1) |"))
    #expect(!row.contains("dropout lowers error"))
    #expect(row.contains("| [Re?] proxy invalid |"))
    #expect(md.contains("2 claims: 1 holds, 0 fails, 0 inconclusive, 1 proxy invalid, 0 not testable."))
    #expect(md.contains("[Re?] proxy invalid: the proxy is not shown to be in the regime the claim is about"))
    // Without an effect the result stands in, as before.
    let met = VerdictTable.row(Fixtures.regime(gap: 13.7, lateRise: 0.2), taxonomy: taxonomy)
    #expect(met.contains("| dropout lowers error (Fig. 1) |"))
    #expect(met.contains("| [Re] holds |"))
  }
}

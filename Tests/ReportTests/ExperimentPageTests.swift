import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct ExperimentPageTests {
  let results = Fixtures.numeric()

  @Test func verdictHoldsAndBadgeInTitle() {
    #expect(results.verdict.verdict == .holds)
    let md = ExperimentPage.markdown(for: results)
    #expect(md.hasPrefix("# [Re] Toy retention p has an interior optimum\n"))
    #expect(md.contains("## Verdict: [Re] holds"))
    #expect(md.contains(results.verdict.explanation))
  }

  @Test func claimPaperSettingScaleAndSeeds() {
    let md = ExperimentPage.markdown(for: results)
    #expect(md.contains("**Claim.** Test accuracy peaks for drop rate 0.2–0.6 on both sets."))
    #expect(md.contains("Someone et al. 2014, A paper, Fig. 9a"))
    #expect(md.contains("best for p in [0.4, 0.8]"))
    #expect(md.contains("| setting | big MLP on full MNIST | tiny MLP on toy sets |"))
    #expect(md.contains("Scale `default`; seeds 0, 1, 2 (3 per point)"))
    #expect(md.contains("![Toy retention p has an interior optimum](figures/toy-p-sweep.svg)"))
  }

  @Test func tableRowsHaveMeanCIAndTransformedX() throws {
    let md = ExperimentPage.markdown(for: results)
    // set-a at rate 0.5: mean 91.00, sd 0.30, half-width t(0.975, 2) · 0.3 / √3 = 0.7452.
    let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| set-a, regularizer.rate=0.5 |") })
    #expect(row == "| set-a, regularizer.rate=0.5 | 0.5 | 0.5 | 3 | 91.00 ± 0.75 | [90.25, 91.75] | 0.30 | 0 | 96.00 | 3 |")
    #expect(md.contains("| run time, s |"))  // the mean wall time of the point's runs (fixture: 3 s each)
    // Retention p = 1 − rate is shown next to the rate.
    #expect(md.contains("| set-a, regularizer.rate=0.9 | 0.9 | 0.1 | 2 | 85.25 ± "))
    #expect(md.contains("| `regularizer.rate` | retention p | n |"))
    #expect(md.contains("train_accuracy mean"))
  }

  @Test func divergedPointsAreShownNotAveraged() throws {
    let md = ExperimentPage.markdown(for: results)
    let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| set-b, regularizer.rate=0.9 |") })
    #expect(row.contains("diverged at steps 40, 50, 60"))
    #expect(row.contains("| 3 (step 40, 50, 60) |"))
    // The partially diverged point averages only its finished seeds and lists the diverged one.
    let partial = try #require(md.split(separator: "\n").first { $0.hasPrefix("| set-a, regularizer.rate=0.9 |") })
    #expect(partial.contains("| 1 (step 120) |"))
  }

  @Test func provenanceFooterWithoutTimestamps() throws {
    let md = ExperimentPage.markdown(for: results)
    #expect(md.contains("commit `0123456789abcdef0123456789abcdef01234567` (dirty"))
    #expect(md.contains("engine engine-7"))
    #expect(md.contains("OpenBLAS core Haswell"))
    #expect(md.contains("ISA avx2"))
    #expect(md.contains("CPU Test CPU @ 3.0GHz"))
    let training = results.runs.reduce(0) { $0 + $1.wallSeconds }
    #expect(
      md.contains("training time \(Fmt.duration(training)) summed over \(results.runs.count) runs (one core each)."))
    #expect(!md.contains("1 h 02 min"))  // the invocation's wall time (totalWallSeconds) is not shown
    let date = try Regex(#"\d{4}-\d{2}-\d{2}"#)
    let time = try Regex(#"\d{1,2}:\d{2}(:\d{2})?"#)
    #expect(md.firstMatch(of: date) == nil)
    #expect(md.firstMatch(of: time) == nil)
  }

  @Test func byteIdenticalAcrossGenerationsAndJSONRoundTrip() throws {
    let first = ExperimentPage.markdown(for: results)
    #expect(ExperimentPage.markdown(for: results) == first)
    let decoded = try ResultsStore.decode(Fixtures.json(results), file: "toy.json")
    #expect(Data(ExperimentPage.markdown(for: decoded).utf8) == Data(first.utf8))
  }

  @Test func comparisonsTableForPairedClaims() {
    let md = ExperimentPage.markdown(for: Fixtures.arms())
    #expect(md.contains("### Comparisons"))
    #expect(md.contains("| comparison | metric | n | difference | 95% CI | MDE | outcome | note |"))
    // dropblock − none per seed: 4, 3.5, 4 → mean 3.83, in Dice.
    #expect(md.contains("| dropblock vs none | `dice` | 3 | +3.83 |"))
    #expect(md.contains("first better"))
  }
}

@Suite struct FormattingTests {
  @Test func fixedNumbers() {
    #expect(Fmt.fixed(-0.0001, 2) == "0.00")
    #expect(Fmt.signed(1.234, 2) == "+1.23")
    #expect(Fmt.signed(-1.236, 2) == "-1.24")
    #expect(Fmt.axis(1 - 0.9) == "0.1")
    #expect(Fmt.axis(50000) == "50000")
    #expect(Fmt.duration(42) == "42.0 s")
    #expect(Fmt.duration(187) == "3 min 07 s")
    #expect(Verdict.fails.badge == "[¬Re]")
    #expect(Verdict.inconclusive.badge == "[~Re]")
    #expect(Verdict.proxyInvalid.badge == "[Re?]")
    #expect(Fmt.count(10_000) == "10,000")
    #expect(Fmt.count(256) == "256")
    #expect(Fmt.count(1_234_567) == "1,234,567")
  }
}

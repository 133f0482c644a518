import Foundation
import Testing

@testable import Experiments

/// Synthetic runs: value(point, seed) = curve(point) + seed effect + noise, so paired differences cancel the
/// seed effect the way real paired seeds do.
private func runs(
  _ points: [GridPoint], seeds: [Int] = [0, 1, 2, 3, 4], metric: String = "test_accuracy", noise: Double = 0.05,
  curve: (GridPoint) -> Double, status: (GridPoint, Int) -> RunStatus = { _, _ in .ok }
) -> [RunRecord] {
  points.flatMap { point in
    seeds.map { seed in
      let wiggle = noise * sin(Double(seed * 7 + point.index * 13 + 1) * 12.9898)
      let value = curve(point) + Double(seed) * 0.3 + wiggle
      let s = status(point, seed)
      return RunRecord(
        key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .null, status: s,
        divergedAtStep: s == .diverged ? 10 : nil, epochs: [], final: s == .ok ? [metric: value] : [:], wallSeconds: 1)
    }
  }
}

private func grid(_ axes: [Sweep.Axis]) -> [GridPoint] { Sweep(axes: axes).points() }

private let lengths = grid([.values(key: "regularizer.length", values: [0, 4, 8, 12, 16].map(ConfigValue.int))])

private func length(_ p: GridPoint) -> Int { p.coordinates["regularizer.length"]!.asInt! }

private let peak = ClaimCheck(.peakInterior(x: "regularizer.length", metric: "test_accuracy", direction: nil))

@Suite struct ChecksTests {
  @Test func peakInteriorHolds() {
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let result = evaluate(peak, points: lengths, runs: runs(lengths) { curve[length($0)]! })
    #expect(result.verdict == .holds, "\(result.explanation)")
    #expect(result.explanation.hasPrefix("Best length 8 ("))
    #expect(result.explanation.hasSuffix("No runs excluded."))
    #expect(result.comparisons.count == 2)
    #expect(result.summaries.count == 5 && result.summaries.allSatisfy { $0.n == 5 })
  }

  @Test func peakInteriorFailsWhenBestIsAnEnd() {
    let result = evaluate(peak, points: lengths, runs: runs(lengths) { 90 + Double(length($0)) / 8 })
    #expect(result.verdict == .fails, "\(result.explanation)")
  }

  @Test func noisyDataIsInconclusive() {
    let result = evaluate(peak, points: lengths, runs: runs(lengths, noise: 3) { _ in 90 })
    #expect(result.verdict == .inconclusive, "\(result.explanation)")
  }

  @Test func mostlyDivergedPointIsNeverBest() {
    // Length 8 would be best, but 3 of its 5 seeds diverged: it ranks last and the peak moves to 4.
    let curve: [Int: Double] = [0: 90, 4: 91.5, 8: 99, 12: 91, 16: 90]
    let records = runs(lengths, curve: { curve[length($0)]! }) { p, seed in length(p) == 8 && seed < 3 ? .diverged : .ok
    }
    let result = evaluate(peak, points: lengths, runs: records)
    #expect(result.verdict == .holds, "\(result.explanation)")
    #expect(result.explanation.hasPrefix("Best length 4"))
    #expect(result.explanation.contains("Excluded 3 runs: 3 diverged (regularizer.length=8: seeds 0, 1, 2)."))
    #expect(result.explanation.contains("more than half of their runs diverged: regularizer.length=8"))
    let summary = result.summaries.first { length($0.point) == 8 }!
    #expect(summary.nDiverged == 3 && summary.n == 2 && summary.collapsed)
  }

  @Test func fewDivergedSeedsAreDroppedFromPairs() {
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let records = runs(lengths, curve: { curve[length($0)]! }) { p, seed in length(p) == 0 && seed == 4 ? .failed : .ok
    }
    let result = evaluate(peak, points: lengths, runs: records)
    #expect(result.verdict == .holds)
    #expect(result.comparisons.map(\.n).sorted() == [4, 5])
    #expect(result.explanation.contains("1 failed or lacked test_accuracy (regularizer.length=0: seed 4)"))
  }

  @Test func argmaxInRange() {
    let inside = ClaimCheck(.bestIn(x: "regularizer.length", metric: "test_accuracy", range: [4, 12], goal: .max))
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    #expect(evaluate(inside, points: lengths, runs: runs(lengths) { curve[length($0)]! }).verdict == .holds)
    #expect(evaluate(inside, points: lengths, runs: runs(lengths) { 90 + Double(length($0)) }).verdict == .fails)
    #expect(evaluate(inside, points: lengths, runs: runs(lengths, noise: 3) { _ in 90 }).verdict == .inconclusive)
  }

  @Test func argminInWithDerivedTestError() {
    let check = ClaimCheck(.bestIn(x: "regularizer.length", metric: "test_error", range: [4, 12], goal: .min))
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    // Runs record test_accuracy only; test_error is 100 − accuracy.
    let result = evaluate(check, points: lengths, runs: runs(lengths) { curve[length($0)]! })
    #expect(result.verdict == .holds, "\(result.explanation)")
    #expect(abs(result.summaries[2].mean! - (100 - 92 - 0.6)) < 0.1)
  }

  private let arms = grid([.values(key: "regularizer.name", values: ["dropout", "dropblock"].map(ConfigValue.string))])

  private func isDropBlock(_ p: GridPoint) -> Bool { p.coordinates["regularizer.name"] == .string("dropblock") }

  @Test func betterThan() {
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0))
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 92 : 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 90 : 91 }).verdict == .fails)
    #expect(evaluate(check, points: arms, runs: runs(arms, noise: 3) { _ in 91 }).verdict == .inconclusive)
    let withMargin = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 2))
    #expect(evaluate(withMargin, points: arms, runs: runs(arms) { isDropBlock($0) ? 92 : 91 }).verdict == .inconclusive)
  }

  /// Too few seeds: no interval and an inconclusive verdict, explained as such — never as "decided without numbers",
  /// which is reserved for a side that diverged.
  @Test func betterThanWithTooFewSeedsSaysSo() {
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0))
    let one = evaluate(check, points: arms, runs: runs(arms, seeds: [0]) { isDropBlock($0) ? 92 : 91 })
    #expect(one.verdict == .inconclusive)
    #expect(
      one.explanation.contains("over 1 paired seed") && !one.explanation.contains("without numbers"),
      "\(one.explanation)")
    let unpaired = runs(arms, seeds: [0]) { isDropBlock($0) ? 92 : 91 }.map { record -> RunRecord in
      var r = record
      if r.point["regularizer.name"] == "dropout" { r.seed = 1 }
      return r
    }
    let none = evaluate(check, points: arms, runs: unpaired)
    #expect(none.verdict == .inconclusive)
    #expect(
      none.explanation.contains("no paired seeds") && !none.explanation.contains("without numbers"),
      "\(none.explanation)")
  }

  @Test func betterThanOnLossTreatsLowerAsBetter() {
    let check = ClaimCheck(
      .betterThan(
        metric: "test_loss", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0))
    #expect(
      evaluate(check, points: arms, runs: runs(arms, metric: "test_loss", noise: 0.001) { isDropBlock($0) ? 0.2 : 0.3 })
        .verdict == .holds)
  }

  @Test func betterThanPairsAcrossOtherKeysAndByGroups() {
    let points = grid([
      .values(key: "dataset.name", values: ["mnist-5k", "fashion-mnist"].map(ConfigValue.string)),
      .values(key: "regularizer.name", values: ["dropout", "dropblock"].map(ConfigValue.string)),
    ])
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0))
    func curve(_ p: GridPoint) -> Double {
      let fashion = p.coordinates["dataset.name"] == .string("fashion-mnist")
      return isDropBlock(p) ? (fashion ? 89 : 99) : (fashion ? 90 : 98)
    }
    // Pooled over both datasets the effects cancel; per dataset one holds and one fails.
    #expect(evaluate(check, points: points, runs: runs(points, curve: curve)).verdict == .inconclusive)
    var byDataset = check
    byDataset.by = ["dataset.name"]
    let result = evaluate(byDataset, points: points, runs: runs(points, curve: curve))
    #expect(result.verdict == .fails)
    #expect(result.parts.map(\.label) == ["dataset.name=mnist-5k", "dataset.name=fashion-mnist"])
    #expect(result.parts.map(\.verdict) == [.holds, .fails])
    var onlyMNIST = check
    onlyMNIST.filter = ["dataset.name": "mnist-5k"]
    #expect(evaluate(onlyMNIST, points: points, runs: runs(points, curve: curve)).verdict == .holds)
  }

  @Test func notBetterThan() {
    let check = ClaimCheck(
      .notBetterThan(metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"]))
    #expect(evaluate(check, points: arms, runs: runs(arms) { _ in 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 92 : 91 }).verdict == .fails)
    let result = evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 89 : 91 })
    #expect(result.verdict == .holds, "a clearly worse than b is not better")
    #expect(result.comparisons[0].mde != nil)
  }

  @Test func monotone() {
    let up = ClaimCheck(.monotone(x: "regularizer.length", metric: "test_accuracy", direction: .increasing, until: nil))
    #expect(evaluate(up, points: lengths, runs: runs(lengths) { 90 + Double(length($0)) / 4 }).verdict == .holds)
    #expect(evaluate(up, points: lengths, runs: runs(lengths) { 95 - Double(length($0)) / 4 }).verdict == .fails)
    #expect(evaluate(up, points: lengths, runs: runs(lengths, noise: 3) { _ in 90 }).verdict == .inconclusive)
    let untilEight = ClaimCheck(
      .monotone(x: "regularizer.length", metric: "test_accuracy", direction: .increasing, until: .int(8)))
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let result = evaluate(untilEight, points: lengths, runs: runs(lengths) { curve[length($0)]! })
    #expect(result.verdict == .holds, "\(result.explanation)")
    #expect(result.explanation.contains("2 of 2 steps increase"))
  }

  @Test func mostStable() {
    let check = ClaimCheck(.mostStable(x: "regularizer.length", metric: "test_accuracy", expected: .int(8)))
    func spread(_ width: [Int: Double]) -> [RunRecord] {
      runs(lengths, noise: 0) { _ in 90 }.map { r in
        var r = r
        let w = width[length(GridPoint(coordinates: r.point, label: "", index: 0))]!
        r.final["test_accuracy"] = 90 + w * [-2, -1, 0, 1, 2][r.seed]
        return r
      }
    }
    #expect(evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 0.1, 12: 1, 16: 1])).verdict == .holds)
    #expect(evaluate(check, points: lengths, runs: spread([0: 0.1, 4: 1, 8: 1, 12: 1, 16: 1])).verdict == .fails)
    #expect(
      evaluate(check, points: lengths, runs: spread([0: 1, 4: 0.9, 8: 0.8, 12: 1, 16: 1])).verdict == .inconclusive)
  }

  @Test func allCombinesParts() {
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let records = runs(lengths) { curve[length($0)]! }
    let down = ClaimCheck(
      .monotone(x: "regularizer.length", metric: "test_accuracy", direction: .decreasing, until: nil))
    let noisyUp = ClaimCheck(
      .monotone(x: "regularizer.length", metric: "test_accuracy", direction: .increasing, until: nil))
    #expect(evaluate(ClaimCheck(.all([peak, peak])), points: lengths, runs: records).verdict == .holds)
    #expect(evaluate(ClaimCheck(.all([peak, noisyUp])), points: lengths, runs: records).verdict == .inconclusive)
    let failing = evaluate(ClaimCheck(.all([peak, down, noisyUp])), points: lengths, runs: records)
    #expect(failing.parts.map(\.verdict) == [.holds, .inconclusive, .inconclusive])
    let argmin = ClaimCheck(.bestIn(x: "regularizer.length", metric: "test_accuracy", range: [0, 0], goal: .max))
    #expect(evaluate(ClaimCheck(.all([peak, argmin])), points: lengths, runs: records).verdict == .fails)
  }

  @Test func evaluationIsCodable() throws {
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let records = runs(lengths, curve: { curve[length($0)]! }) { p, seed in length(p) == 8 && seed < 3 ? .diverged : .ok
    }
    let result = evaluate(ClaimCheck(.all([peak]), by: []), points: lengths, runs: records)
    let data = try JSONEncoder().encode(result)
    #expect(try JSONDecoder().decode(ClaimEvaluation.self, from: data) == result)
  }
}

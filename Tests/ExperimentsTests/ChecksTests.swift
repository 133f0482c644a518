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
    #expect(result.explanation.hasPrefix("Best interior 8 ("))
    #expect(result.explanation.contains("permutation"))
    #expect(result.explanation.hasSuffix("No runs excluded."))
    #expect(result.comparisons.count == 1)
    #expect(result.summaries.count == 5 && result.summaries.allSatisfy { $0.n == 5 })
  }

  @Test func peakInteriorFailsWhenBestIsAnEnd() {
    let curve: [Int: Double] = [0: 93, 4: 90, 8: 90.5, 12: 90, 16: 90]
    let result = evaluate(peak, points: lengths, runs: runs(lengths) { curve[length($0)]! })
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
    #expect(result.explanation.hasPrefix("Best interior 4"))
    #expect(result.explanation.contains("Excluded 3 runs: 3 diverged or stalled (regularizer.length=8: seeds 0, 1, 2)."))
    #expect(result.explanation.contains("more than half of their runs diverged or stalled: regularizer.length=8"))
    let summary = result.summaries.first { length($0.point) == 8 }!
    #expect(summary.nDiverged == 3 && summary.n == 2 && summary.collapsed)
  }

  @Test func fewDivergedSeedsAreDroppedFromPairs() {
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    let records = runs(lengths, curve: { curve[length($0)]! }) { p, seed in length(p) == 0 && seed == 4 ? .failed : .ok
    }
    let result = evaluate(peak, points: lengths, runs: records)
    #expect(result.verdict == .holds)
    #expect(result.explanation.contains("over 4 seeds"), "\(result.explanation)")
    #expect(result.explanation.contains("1 failed or lacked test_accuracy (regularizer.length=0: seed 4)"))
  }

  @Test func argmaxInRange() {
    let inside = ClaimCheck(.bestIn(x: "regularizer.length", metric: "test_accuracy", range: [4, 12], goal: .max))
    let curve: [Int: Double] = [0: 90, 4: 91, 8: 92, 12: 91, 16: 90]
    #expect(evaluate(inside, points: lengths, runs: runs(lengths) { curve[length($0)]! }).verdict == .holds)
    let outside: [Int: Double] = [0: 95, 4: 90, 8: 90, 12: 90, 16: 95]
    #expect(evaluate(inside, points: lengths, runs: runs(lengths) { outside[length($0)]! }).verdict == .fails)
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
      .notBetterThan(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0.5))
    #expect(evaluate(check, points: arms, runs: runs(arms) { _ in 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 92 : 91 }).verdict == .fails)
    // A gain smaller than the margin is "no gain" by the claim's own definition; one just at it is undecided.
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 91.2 : 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 91.5 : 91 }).verdict == .inconclusive)
    let result = evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 89 : 91 })
    #expect(result.verdict == .holds, "a clearly worse than b is not better")
  }

  @Test func equivalentNeedsBothSidesInsideTheMargin() {
    let check = ClaimCheck(
      .equivalent(
        metric: "test_accuracy", a: ["regularizer.name": "dropblock"], b: ["regularizer.name": "dropout"], margin: 0.5))
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 91.1 : 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 90 : 91 }).verdict == .fails)
    #expect(evaluate(check, points: arms, runs: runs(arms) { isDropBlock($0) ? 92 : 91 }).verdict == .fails)
    #expect(evaluate(check, points: arms, runs: runs(arms, noise: 3) { _ in 91 }).verdict == .inconclusive)
  }

  @Test func atLeastIsAnAbsoluteClaim() {
    let check = ClaimCheck(.atLeast(metric: "test_accuracy", value: 91), where: ["regularizer.name": "dropblock"])
    // Seed effects 0, 0.3, …, 1.2 on top of the curve: the mean is the curve + 0.6.
    #expect(evaluate(check, points: arms, runs: runs(arms) { _ in 91 }).verdict == .holds)
    #expect(evaluate(check, points: arms, runs: runs(arms) { _ in 89 }).verdict == .fails)
    #expect(evaluate(check, points: arms, runs: runs(arms) { _ in 90.4 }).verdict == .inconclusive)
  }

  @Test func plateauIsEveryPairWithinTheMargin() {
    let check = ClaimCheck(.plateau(x: "regularizer.length", metric: "test_accuracy", range: [4, 12], margin: 0.5))
    let flat: [Int: Double] = [0: 88, 4: 91, 8: 91.1, 12: 90.9, 16: 88]
    #expect(evaluate(check, points: lengths, runs: runs(lengths) { flat[length($0)]! }).verdict == .holds)
    let peaked: [Int: Double] = [0: 88, 4: 90, 8: 92, 12: 90, 16: 88]
    #expect(evaluate(check, points: lengths, runs: runs(lengths) { peaked[length($0)]! }).verdict == .fails)
    #expect(evaluate(check, points: lengths, runs: runs(lengths, noise: 3) { _ in 90 }).verdict == .inconclusive)
  }

  @Test func betterThanOfARangeMeanAveragesTheRange() {
    let range: ConfigValue = .map(["in": .list([.int(4), .int(12)])])
    let check = ClaimCheck(
      .betterThan(
        metric: "test_accuracy", a: ["regularizer.length": range], b: ["regularizer.length": .int(0)], margin: 0))
    let curve: [Int: Double] = [0: 90, 4: 90.5, 8: 92, 12: 90.5, 16: 80]
    let result = evaluate(check, points: lengths, runs: runs(lengths) { curve[length($0)]! })
    #expect(result.verdict == .holds, "\(result.explanation)")
    #expect(abs(result.comparisons[0].meanDiff! - 1) < 0.05)
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

  /// Seeds' deviations follow a pattern shuffled per point, scaled by the point's width: spreads differ only where
  /// the widths do.
  private func spread(_ width: [Int: Double]) -> [RunRecord] {
    let patterns: [[Double]] = [[-2, -1, 0, 1, 2], [1, -2, 2, 0, -1], [0, 2, -1, -2, 1], [2, 0, 1, -1, -2], [-1, 1, -2, 2, 0]]
    return runs(lengths, noise: 0) { _ in 90 }.map { r in
      var r = r
      let l = length(GridPoint(coordinates: r.point, label: "", index: 0))
      r.final["test_accuracy"] = 90 + width[l]! * patterns[l / 4][r.seed]
      return r
    }
  }

  @Test func mostStableTestsTheExpectedPointAgainstEveryOther() {
    let check = ClaimCheck(.mostStable(x: "regularizer.length", metric: "test_accuracy", expected: .int(8)))
    let steady = evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 0.05, 12: 1, 16: 1]))
    #expect(steady.verdict == .holds, "\(steady.explanation)")
    let rival = evaluate(check, points: lengths, runs: spread([0: 0.05, 4: 1, 8: 1, 12: 1, 16: 1]))
    #expect(rival.verdict == .fails, "\(rival.explanation)")
    let equal = evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 1, 12: 1, 16: 1]))
    #expect(equal.verdict == .inconclusive, "\(equal.explanation)")
  }

  @Test func lessVariableIsAPairedVarianceTest() {
    let check = ClaimCheck(
      .lessVariable(metric: "test_accuracy", a: ["regularizer.length": .int(8)], b: ["regularizer.length": .int(12)]))
    #expect(evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 0.05, 12: 1, 16: 1])).verdict == .holds)
    #expect(evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 1, 12: 0.05, 16: 1])).verdict == .fails)
    #expect(evaluate(check, points: lengths, runs: spread([0: 1, 4: 1, 8: 1, 12: 1, 16: 1])).verdict == .inconclusive)
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
    // Parts are named by their kind; by kind and metric when the parts use different metrics.
    #expect(failing.parts.map(\.label) == [peak.kind, down.kind, noisyUp.kind])
    let loss = ClaimCheck(
      .monotone(x: "regularizer.length", metric: "test_loss", direction: .decreasing, until: nil))
    let mixed = evaluate(ClaimCheck(.all([down, loss])), points: lengths, runs: records)
    #expect(mixed.parts.map(\.label) == ["\(down.kind) on test_accuracy", "\(loss.kind) on test_loss"])
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

import Foundation
import Testing

@testable import Experiments

/// Monte-Carlo of the claim checks themselves under the null: thousands of synthetic experiments in which nothing
/// is there (every arm drawn from the same distribution, or the effect sits exactly on the claim's boundary), run
/// through `evaluate` exactly as real results are. A check may say `holds` or `fails` in at most 5% of them, at
/// 5 and 20 seeds and a per-seed correlation between arms of 0, 0.5 and 0.9.
///
/// Each rate is estimated from `experiments` draws; the assertion allows the Monte-Carlo's own noise (three
/// standard errors of a 5% rate), so a check that is truly at 5% passes and one at 8% does not. The measured
/// rates are printed (and published in the README's statistics section).
@Suite struct NullErrorRateTests {
  static let seedCounts = [5, 20]
  static let correlations = [0.0, 0.5, 0.9]
  static let experiments = 1200

  /// Allowed observed rate for a true rate of 5%: 0.05 + 3·sqrt(0.05·0.95/N).
  static var ceiling: Double { 0.05 + 3 * (0.05 * 0.95 / Double(experiments)).squareRoot() }

  /// A Gaussian stream for the simulated seeds (Box–Muller over SplitMix64).
  struct Normal {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func next() -> Double {
      let u1 = (Double(rng.next() >> 11) + 0.5) / 9_007_199_254_740_992
      let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992
      return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
  }

  /// One synthetic experiment: value = 80 + shift(point) + sd(point)·(√ρ·seed effect + √(1−ρ)·own noise).
  static func experiment(
    _ points: [GridPoint], seeds: Int, rho: Double, normal: inout Normal, shift: (GridPoint) -> Double = { _ in 0 },
    sd: (GridPoint) -> Double = { _ in 1 }
  ) -> [RunRecord] {
    let common = (0..<seeds).map { _ in normal.next() }
    return points.flatMap { point in
      (0..<seeds).map { seed in
        let z = rho.squareRoot() * common[seed] + (1 - rho).squareRoot() * normal.next()
        let value = 80 + shift(point) + sd(point) * z
        return RunRecord(
          key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: .null, status: .ok,
          epochs: [], final: ["test_accuracy": value], wallSeconds: 0)
      }
    }
  }

  /// Rates of holds and fails over the conditions; `make` builds one experiment's runs.
  static func rates(
    _ check: ClaimCheck, _ points: [GridPoint], seeds: Int, rho: Double, salt: UInt64,
    shift: @escaping (GridPoint) -> Double = { _ in 0 }, sd: @escaping (GridPoint) -> Double = { _ in 1 }
  ) -> (holds: Double, fails: Double) {
    var normal = Normal(seed: salt &* 1_000_003 &+ UInt64(seeds) &* 101 &+ UInt64(rho * 10))
    var holds = 0
    var fails = 0
    for _ in 0..<experiments {
      let runs = experiment(points, seeds: seeds, rho: rho, normal: &normal, shift: shift, sd: sd)
      switch evaluate(check, points: points, runs: runs).verdict {
      case .holds: holds += 1
      case .fails: fails += 1
      default: break
      }
    }
    return (Double(holds) / Double(experiments), Double(fails) / Double(experiments))
  }

  /// Runs `check` in every condition and expects the chosen false-verdict rate at most 5% (within MC noise).
  static func expectControlled(
    _ name: String, _ check: ClaimCheck, _ points: [GridPoint], salt: UInt64, counting: (Double, Double) -> Double,
    shift: @escaping (GridPoint) -> Double = { _ in 0 }, sd: @escaping (GridPoint) -> Double = { _ in 1 }
  ) {
    for n in seedCounts {
      for rho in correlations {
        let r = rates(check, points, seeds: n, rho: rho, salt: salt, shift: shift, sd: sd)
        let rate = counting(r.holds, r.fails)
        print(String(format: "null rate %@ n=%d rho=%.1f: holds %.3f fails %.3f → %.3f", name, n, rho, r.holds, r.fails, rate))
        #expect(rate <= ceiling, "\(name) at n = \(n), ρ = \(rho): false-verdict rate \(rate)")
      }
    }
  }

  static func grid(_ key: String, _ values: [Double]) -> [GridPoint] {
    Sweep(axes: [.values(key: key, values: values.map(ConfigValue.double))]).points()
  }

  static let six = grid("regularizer.rate", [0, 0.1, 0.2, 0.3, 0.4, 0.5])
  static func at(_ v: Double) -> [String: ConfigValue] { ["regularizer.rate": .double(v)] }
  static func rate(_ p: GridPoint) -> Double { p.coordinates["regularizer.rate"]!.asDouble! }
  static func either(_ holds: Double, _ fails: Double) -> Double { holds + fails }

  @Test func betterThan() {
    let check = ClaimCheck(.betterThan(metric: "test_accuracy", a: Self.at(0.3), b: Self.at(0), margin: 0))
    Self.expectControlled("better_than", check, Self.six, salt: 1, counting: Self.either)
  }

  @Test func betterThanOfARangeMean() {
    let inRange: ConfigValue = .map(["in": .list([.double(0.1), .double(0.4)])])
    let check = ClaimCheck(
      .betterThan(metric: "test_accuracy", a: ["regularizer.rate": inRange], b: Self.at(0.5), margin: 0))
    Self.expectControlled("better_than (range mean)", check, Self.six, salt: 2, counting: Self.either)
  }

  @Test func notBetterThanAtTheMargin() {
    // The gain is exactly the margin: "no gain of 1 pt" must rarely hold; a real gain beyond it must rarely be
    // claimed when there is none.
    let check = ClaimCheck(.notBetterThan(metric: "test_accuracy", a: Self.at(0.3), b: Self.at(0), margin: 1))
    Self.expectControlled(
      "not_better_than (effect = margin)", check, Self.six, salt: 3, counting: { h, _ in h },
      shift: { Self.rate($0) == 0.3 ? 1 : 0 })
    Self.expectControlled(
      "not_better_than (effect = margin, fails)", check, Self.six, salt: 4, counting: { _, f in f },
      shift: { Self.rate($0) == 0.3 ? 1 : 0 })
  }

  @Test func equivalentAtTheMargin() {
    let check = ClaimCheck(.equivalent(metric: "test_accuracy", a: Self.at(0.3), b: Self.at(0), margin: 1))
    Self.expectControlled(
      "equivalent (effect = margin)", check, Self.six, salt: 5, counting: Self.either,
      shift: { Self.rate($0) == 0.3 ? 1 : 0 })
    Self.expectControlled("equivalent (no effect, fails)", check, Self.six, salt: 6, counting: { _, f in f })
  }

  @Test func atLeastOnItsValue() {
    let check = ClaimCheck(.atLeast(metric: "test_accuracy", value: 80), where: Self.at(0.2))
    Self.expectControlled("at_least", check, Self.six, salt: 7, counting: Self.either)
  }

  @Test func plateauAtItsMargin() {
    let check = ClaimCheck(.plateau(x: "regularizer.rate", metric: "test_accuracy", range: [0.1, 0.3], margin: 1))
    // One point of the range sits exactly the margin away: "flat" must rarely hold.
    Self.expectControlled(
      "plateau (one point at the margin)", check, Self.six, salt: 8, counting: { h, _ in h },
      shift: { Self.rate($0) == 0.2 ? 1 : 0 })
    Self.expectControlled("plateau (flat, fails)", check, Self.six, salt: 9, counting: { _, f in f })
  }

  @Test func lessVariable() {
    let check = ClaimCheck(.lessVariable(metric: "test_accuracy", a: Self.at(0.2), b: Self.at(0.3)))
    Self.expectControlled("less_variable", check, Self.six, salt: 10, counting: Self.either)
  }

  @Test func mostStable() {
    let check = ClaimCheck(.mostStable(x: "regularizer.rate", metric: "test_accuracy", expected: .double(0.2)))
    Self.expectControlled("most_stable", check, Self.six, salt: 11, counting: Self.either)
  }

  @Test func argmaxIn() {
    let check = ClaimCheck(.bestIn(x: "regularizer.rate", metric: "test_accuracy", range: [0.2, 0.3], goal: .max))
    Self.expectControlled("argmax_in", check, Self.six, salt: 12, counting: Self.either)
  }

  @Test func argmaxInSinglePoint() {
    let check = ClaimCheck(.bestIn(x: "regularizer.rate", metric: "test_accuracy", range: [0.3, 0.3], goal: .max))
    Self.expectControlled("argmax_in (one point)", check, Self.six, salt: 13, counting: Self.either)
  }

  @Test func peakInterior() {
    let check = ClaimCheck(.peakInterior(x: "regularizer.rate", metric: "test_accuracy", direction: nil))
    Self.expectControlled("peak_interior", check, Self.six, salt: 14, counting: Self.either)
  }

  @Test func monotone() {
    let check = ClaimCheck(.monotone(x: "regularizer.rate", metric: "test_accuracy", direction: .increasing, until: nil))
    Self.expectControlled("monotone", check, Self.six, salt: 15, counting: Self.either)
  }

  @Test func allWithHolm() {
    let parts = [0.1, 0.2, 0.3, 0.4].map {
      ClaimCheck(.betterThan(metric: "test_accuracy", a: Self.at($0), b: Self.at(0), margin: 0))
    }
    Self.expectControlled("all of 4 better_than", ClaimCheck(.all(parts)), Self.six, salt: 16, counting: Self.either)
  }

  @Test func byGroupsWithHolm() {
    let points = Sweep(axes: [
      .values(key: "dataset", values: [.string("a"), .string("b"), .string("c")]),
      .values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double)),
    ]).points()
    let check = ClaimCheck(
      .betterThan(metric: "test_accuracy", a: Self.at(0.5), b: Self.at(0), margin: 0), by: ["dataset"])
    Self.expectControlled("better_than by 3 groups", check, points, salt: 17, counting: Self.either)
  }

  /// The checks do detect what is there: a clear effect is found at 20 seeds (so the null rates are not bought
  /// with a check that never decides).
  @Test func powerAgainstClearEffects() {
    var normal = Normal(seed: 99)
    let gain = Self.experiment(Self.six, seeds: 20, rho: 0.5, normal: &normal, shift: { Self.rate($0) == 0.3 ? 1.5 : 0 })
    let better = ClaimCheck(.betterThan(metric: "test_accuracy", a: Self.at(0.3), b: Self.at(0), margin: 0))
    #expect(evaluate(better, points: Self.six, runs: gain).verdict == .holds)
    let argmax = ClaimCheck(.bestIn(x: "regularizer.rate", metric: "test_accuracy", range: [0.3, 0.3], goal: .max))
    #expect(evaluate(argmax, points: Self.six, runs: gain).verdict == .holds)
    let flat = Self.experiment(Self.six, seeds: 20, rho: 0.5, normal: &normal)
    let plateau = ClaimCheck(.plateau(x: "regularizer.rate", metric: "test_accuracy", range: [0.1, 0.3], margin: 1.5))
    #expect(evaluate(plateau, points: Self.six, runs: flat).verdict == .holds)
    let steady = Self.experiment(Self.six, seeds: 20, rho: 0, normal: &normal, sd: { Self.rate($0) == 0.2 ? 0.2 : 1 })
    let stable = ClaimCheck(.mostStable(x: "regularizer.rate", metric: "test_accuracy", expected: .double(0.2)))
    #expect(evaluate(stable, points: Self.six, runs: steady).verdict == .holds)
  }
}

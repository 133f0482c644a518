import Foundation

/// How many paired seeds each comparison of a stored verdict would need to detect the difference it observed —
/// the planning question an inconclusive verdict raises (`dropbench seeds`).
///
/// A planning estimate, not a test: it takes the observed mean difference and the observed spread of the paired
/// differences as if they were the truth, and both are noisy at a handful of seeds. It uses the same paired t
/// power rule as the verdicts' minimum detectable effect (5% two-sided, 80% power).
public enum SeedBudget {
  public struct Line: Sendable, Equatable {
    public var label: String
    /// Paired seeds now.
    public var n: Int
    public var meanDiff: Double?
    /// Minimum detectable effect with the seeds there are.
    public var mde: Double?
    /// Seeds needed for the observed |Δ| to be detectable; nil when it cannot be estimated (fewer than 2 seeds, no
    /// difference) or exceeds `limit`.
    public var needed: Int?
    /// Why `needed` is nil, if it is.
    public var note: String?
  }

  public struct Plan: Sendable {
    public var experimentID: String
    public var lines: [Line]
    /// Seeds in the spec now, and seeds for every estimable comparison to be detectable (nil if none is).
    public var seeds: Int
    public var seedsForAll: Int?
    /// Grid points (runs per added seed) and the mean training seconds of one seed over the whole grid.
    public var points: Int
    public var secondsPerSeed: Double

    /// Runs and training core-seconds that `seedsForAll` would add.
    public var extraRuns: Int { max(0, (seedsForAll ?? seeds) - seeds) * points }
    public var extraSeconds: Double { Double(max(0, (seedsForAll ?? seeds) - seeds)) * secondsPerSeed }
  }

  /// The spread of paired differences implied by a minimum detectable effect at n seeds (the inverse of
  /// `Statistics.minimumDetectableEffect`).
  public static func sdDiff(mde: Double, n: Int) -> Double? {
    guard n >= 2 else { return nil }
    let df = Double(n - 1)
    return mde * Double(n).squareRoot()
      / (Statistics.studentTQuantile(0.975, df: df)
        + Statistics.studentTQuantile(0.80, df: df))
  }

  /// The smallest n in 2...limit whose minimum detectable effect is at most |effect|; nil beyond `limit`.
  public static func seedsNeeded(effect: Double, sdDiff: Double, limit: Int = 1000) -> Int? {
    guard effect != 0, effect.isFinite, sdDiff.isFinite, limit >= 2 else { return nil }
    if sdDiff == 0 { return 2 }
    let target = abs(effect)
    func detectable(_ n: Int) -> Bool {
      (Statistics.minimumDetectableEffect(sdDiff: sdDiff, n: n) ?? .infinity) <= target
    }
    guard detectable(limit) else { return nil }
    // The MDE falls monotonically with n: binary search for the first detectable n.
    var lo = 2
    var hi = limit
    while lo < hi {
      let mid = (lo + hi) / 2
      if detectable(mid) { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// One line per comparison behind the stored verdict (including those of combined checks).
  public static func lines(_ evaluation: ClaimEvaluation, limit: Int = 1000) -> [Line] {
    var out: [Line] = []
    for c in evaluation.comparisons {
      var line = Line(label: c.label, n: c.n, meanDiff: c.meanDiff, mde: c.mde, needed: nil, note: nil)
      if let d = c.meanDiff, let mde = c.mde, let sd = sdDiff(mde: mde, n: c.n) {
        line.needed = seedsNeeded(effect: d, sdDiff: sd, limit: limit)
        if line.needed == nil { line.note = d == 0 ? "no difference observed" : "more than \(limit) seeds" }
      } else if c.meanDiff == nil {
        line.note = c.note ?? "no paired seeds"
      } else if c.n < 2 {
        line.note = "needs 2 paired seeds to estimate the noise"
      } else {
        line.note = "not a paired mean difference: no power rule"  // e.g. a variance ratio (most_stable)
      }
      out.append(line)
    }
    return out + evaluation.parts.flatMap { lines($0, limit: limit) }
  }

  public static func plan(_ results: ExperimentResults, limit: Int = 1000) -> Plan {
    let lines = lines(results.verdict, limit: limit)
    let seeds = Set(results.runs.map(\.seed)).count
    let points = Set(results.runs.map(\.point)).count
    let seconds = results.runs.reduce(0) { $0 + $1.wallSeconds }
    let needed = lines.compactMap(\.needed)
    return Plan(
      experimentID: results.experimentID, lines: lines, seeds: seeds,
      seedsForAll: needed.isEmpty ? nil : max(seeds, needed.max()!), points: points,
      secondsPerSeed: seeds == 0 ? 0 : seconds / Double(seeds))
  }
}

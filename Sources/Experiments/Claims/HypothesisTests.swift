import Foundation

/// The hypothesis tests behind the claim checks, as p-values. Every check decides "holds" and "fails" by one-sided
/// tests at 2.5%: a directional verdict is a 95% two-sided interval that excludes the boundary, and an equivalence
/// (two one-sided tests, TOST) a 95% interval inside ±margin. Written out so every verdict traces to a few dozen
/// lines.
public enum HypothesisTests {
  /// One-sided level of a directional verdict.
  public static let sideLevel = 0.025
  /// Level of each one-sided test of an equivalence (TOST). 2.5%, not the customary 5% (the 90% interval), so
  /// that at the margin itself the chance of "holds" plus that of "fails" stays within 5%: the 95% interval lies
  /// inside ±margin.
  public static let equivalenceLevel = 0.025

  /// One-sample t test of the mean of `values` against `mu`: P-values for "mean > mu" and "mean < mu". Nil for
  /// fewer than 2 values. A zero spread gives 0 or 1.
  public static func oneSample(_ values: [Double], against mu: Double) -> (greater: Double, less: Double)? {
    guard values.count >= 2, let sd = Statistics.sampleSD(values) else { return nil }
    let mean = Statistics.mean(values)
    if sd == 0 || !sd.isFinite {
      if mean > mu { return (0, 1) }
      if mean < mu { return (1, 0) }
      return (1, 1)
    }
    let t = (mean - mu) / (sd / Double(values.count).squareRoot())
    let df = Double(values.count - 1)
    let below = Statistics.studentTCDF(t, df: df)
    return (1 - below, below)
  }

  /// Pitman–Morgan test of equal variances of two paired samples: var(a) − var(b) = cov(a + b, a − b), so the
  /// test is the t test of the correlation r of the sums and differences (n − 2 degrees of freedom), valid whatever
  /// the correlation of a and b. P-values for "a less variable than b" and "a more variable". Nil for n < 3.
  public static func pitmanMorgan(_ a: [Double], _ b: [Double]) -> (aLess: Double, aMore: Double, ratio: Double)? {
    let n = min(a.count, b.count)
    guard n >= 3 else { return nil }
    let sums = (0..<n).map { a[$0] + b[$0] }
    let diffs = (0..<n).map { a[$0] - b[$0] }
    let ms = Statistics.mean(sums)
    let md = Statistics.mean(diffs)
    var sxy = 0.0
    var sxx = 0.0
    var syy = 0.0
    for i in 0..<n {
      sxy += (sums[i] - ms) * (diffs[i] - md)
      sxx += (sums[i] - ms) * (sums[i] - ms)
      syy += (diffs[i] - md) * (diffs[i] - md)
    }
    let va = pow(Statistics.sampleSD(Array(a.prefix(n))) ?? 0, 2)
    let vb = pow(Statistics.sampleSD(Array(b.prefix(n))) ?? 0, 2)
    let ratio = vb > 0 ? va / vb : (va > 0 ? .infinity : 1)
    guard sxx > 0, syy > 0 else { return va < vb ? (0, 1, ratio) : va > vb ? (1, 0, ratio) : (1, 1, ratio) }
    let r = max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    if abs(r) >= 1 { return r < 0 ? (0, 1, ratio) : (1, 0, ratio) }
    let t = r * (Double(n - 2) / (1 - r * r)).squareRoot()
    let below = Statistics.studentTCDF(t, df: Double(n - 2))
    return (below, 1 - below, ratio)
  }

  /// Holm's step-down adjustment of p-values (valid under any dependence): adjusted p_(i) =
  /// max_{j ≤ i} min(1, (m − j + 1) · p_(j)), returned in the input order.
  public static func holm(_ p: [Double]) -> [Double] {
    let m = p.count
    let order = p.indices.sorted { p[$0] < p[$1] }
    var adjusted = [Double](repeating: 1, count: m)
    var running = 0.0
    for (rank, i) in order.enumerated() {
      running = max(running, min(1, Double(m - rank) * p[i]))
      adjusted[i] = running
    }
    return adjusted
  }

  /// Within-seed permutation test of a statistic chosen from the data (e.g. the best arm's lead): under the null
  /// that the arms are exchangeable within each seed — same distribution, any correlation between arms of one
  /// seed — shuffling each seed's row leaves the distribution unchanged. `values[s][k]` is arm k on seed s.
  /// Returns P(T ≥ observed) and P(T ≤ observed), each (1 + count) / (B + 1). The generator is seeded with a
  /// constant, so a verdict is reproducible.
  public static func permutation(
    _ values: [[Double]], resamples: Int = 4000, statistic: ([Double]) -> Double
  ) -> (atLeast: Double, atMost: Double) {
    let k = values.first?.count ?? 0
    func arms(_ rows: [[Double]]) -> [Double] {
      (0..<k).map { j in rows.reduce(0) { $0 + $1[j] } / Double(rows.count) }
    }
    let observed = statistic(arms(values))
    var rng = SplitMix64(seed: 0x5EED_D50B)
    var rows = values
    var above = 0
    var below = 0
    let tolerance = 1e-12 * max(1, abs(observed))
    for _ in 0..<resamples {
      for s in rows.indices {
        for j in stride(from: k - 1, to: 0, by: -1) {
          rows[s].swapAt(j, Int(rng.next() % UInt64(j + 1)))
        }
      }
      let t = statistic(arms(rows))
      if t >= observed - tolerance { above += 1 }
      if t <= observed + tolerance { below += 1 }
    }
    let b = Double(resamples + 1)
    return (Double(above + 1) / b, Double(below + 1) / b)
  }
}

/// Steele, Lea & Flood's SplitMix64: a small, stable generator for resampling (not for training masks).
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

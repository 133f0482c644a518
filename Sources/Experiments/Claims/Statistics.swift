import Foundation

/// Seed-level statistics in Double: means, spreads, the Student-t distribution, confidence intervals and
/// the minimum detectable effect of a paired comparison. Written out rather than imported so the numbers in
/// every report can be traced to a few dozen lines.
public enum Statistics {
  public static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
  }

  /// Sample standard deviation (n − 1 denominator); nil for fewer than two values.
  public static func sampleSD(_ values: [Double]) -> Double? {
    guard values.count >= 2 else { return nil }
    let m = mean(values)
    let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    return (ss / Double(values.count - 1)).squareRoot()
  }

  /// The regularized incomplete beta function I_x(a, b), by the continued fraction of Numerical Recipes §6.4
  /// (evaluated on whichever side of the mean converges quickly).
  public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    let front = exp(logFront)
    if x < (a + 1) / (a + b + 2) {
      return front * betaContinuedFraction(x, a: a, b: b) / a
    }
    return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
  }

  private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    let qab = a + b
    let qap = a + 1
    let qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...500 {
      let m = Double(m)
      let m2 = 2 * m
      var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let step = d * c
      h *= step
      if abs(step - 1) < 1e-15 { break }
    }
    return h
  }

  /// P(T ≤ t) for Student's t with `df` degrees of freedom.
  public static func studentTCDF(_ t: Double, df: Double) -> Double {
    let tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    return t > 0 ? 1 - tail : tail
  }

  /// The p-quantile of Student's t with `df` degrees of freedom (e.g. `studentTQuantile(0.975, df: 4)` ≈ 2.776).
  public static func studentTQuantile(_ p: Double, df: Double) -> Double {
    invert(p, lower: -1, upper: 1) { studentTCDF($0, df: df) }
  }

  /// Bisection on a CDF: widen the bracket until it holds p, then halve it to machine precision.
  private static func invert(_ p: Double, lower: Double, upper: Double, cdf: (Double) -> Double)
    -> Double
  {
    precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1")
    var lo = lower
    var hi = upper
    while cdf(lo) > p, lo > -1e12 { lo *= 2 }
    while cdf(hi) < p, hi < 1e12 { hi *= 2 }
    for _ in 0..<200 {
      let mid = (lo + hi) / 2
      if cdf(mid) < p { lo = mid } else { hi = mid }
      if hi - lo <= 1e-12 * max(1, abs(mid)) { break }
    }
    return (lo + hi) / 2
  }

  /// Half-width of the 95% confidence interval of a mean: t_{0.975, n−1} · sd / √n; nil for fewer than two values.
  public static func ciHalfWidth95(_ values: [Double]) -> Double? { ciHalfWidth(values, level: 0.95) }

  /// Half-width of the two-sided `level` t-interval of the mean of `values`; nil for fewer than two.
  public static func ciHalfWidth(_ values: [Double], level: Double) -> Double? {
    guard let sd = sampleSD(values) else { return nil }
    let n = Double(values.count)
    return studentTQuantile(1 - (1 - level) / 2, df: n - 1) * sd / n.squareRoot()
  }

  /// Minimum detectable effect of a paired comparison of n seeds at 5% two-sided level and 80% power:
  /// (t_{0.975, n−1} + t_{0.80, n−1}) · sd_diff / √n. Nil for n < 2.
  public static func minimumDetectableEffect(sdDiff: Double, n: Int) -> Double? {
    guard n >= 2 else { return nil }
    let df = Double(n - 1)
    return (studentTQuantile(0.975, df: df) + studentTQuantile(0.80, df: df)) * sdDiff / Double(n).squareRoot()
  }
}

/// SIMD elementwise kernels. Swift's default codegen is baseline SSE2, and serial float loops neither vectorise nor
/// reassociate, so the hot loops are written over `SIMD8<Float>` chunks with a scalar tail.
///
/// Reductions accumulate in a fixed order (8 lanes, then the lanes left to right), so results are bit-identical
/// from run to run.
public enum Elementwise {
  public typealias V = SIMD8<Float>

  @inlinable
  static func load(_ p: UnsafePointer<Float>) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
  }

  @inlinable
  static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
  }

  /// y[i] = max(x[i], 0)
  @inlinable
  public static func relu(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    let xp = x.baseAddress!
    let yp = y.baseAddress!
    var i = 0
    let zero = V(repeating: 0)
    // `replacing(with:where:)` compiles to a compare and blend; the generic `pointwiseMax` stayed an outlined call.
    while i + 8 <= n {
      let v = load(xp + i)
      store(v.replacing(with: zero, where: v .<= zero), yp + i)
      i += 8
    }
    while i < n {
      yp[i] = max(xp[i], 0)
      i += 1
    }
  }

  /// y[i] = max(y[i] + x[i], 0): a residual add and the ReLU after it in one pass (the same bits as `axpy(1, x, y)`
  /// followed by `relu`).
  @inlinable
  public static func addReLU(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    let xp = x.baseAddress!
    let yp = y.baseAddress!
    var i = 0
    let zero = V(repeating: 0)
    while i + 8 <= n {
      let v = load(yp + i) + load(xp + i)
      store(v.replacing(with: zero, where: v .<= zero), yp + i)
      i += 8
    }
    while i < n {
      yp[i] = max(yp[i] + xp[i], 0)
      i += 1
    }
  }

  /// dx[i] = y[i] > 0 ? dy[i] : 0
  @inlinable
  public static func reluBackward(
    output y: UnsafeBufferPointer<Float>, _ dy: UnsafeBufferPointer<Float>, _ dx: UnsafeMutableBufferPointer<Float>
  ) {
    let n = y.count
    let yp = y.baseAddress!
    let gp = dy.baseAddress!
    let dp = dx.baseAddress!
    var i = 0
    let zero = V(repeating: 0)
    while i + 8 <= n {
      store(load(gp + i).replacing(with: zero, where: load(yp + i) .<= zero), dp + i)
      i += 8
    }
    while i < n {
      dp[i] = yp[i] > 0 ? gp[i] : 0
      i += 1
    }
  }

  /// y[i] = a[i] * b[i]
  @inlinable
  public static func multiply(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>
  ) {
    let n = a.count
    let ap = a.baseAddress!
    let bp = b.baseAddress!
    let yp = y.baseAddress!
    var i = 0
    while i + 8 <= n {
      store(load(ap + i) * load(bp + i), yp + i)
      i += 8
    }
    while i < n {
      yp[i] = ap[i] * bp[i]
      i += 1
    }
  }

  /// y[i] += alpha * x[i]
  @inlinable
  public static func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    let xp = x.baseAddress!
    let yp = y.baseAddress!
    let a = V(repeating: alpha)
    var i = 0
    while i + 8 <= n {
      store(load(yp + i) + a * load(xp + i), yp + i)
      i += 8
    }
    while i < n {
      yp[i] += alpha * xp[i]
      i += 1
    }
  }

  /// y[i] *= alpha
  @inlinable
  public static func scale(_ alpha: Float, _ y: UnsafeMutableBufferPointer<Float>) {
    let n = y.count
    let yp = y.baseAddress!
    let a = V(repeating: alpha)
    var i = 0
    while i + 8 <= n {
      store(load(yp + i) * a, yp + i)
      i += 8
    }
    while i < n {
      yp[i] *= alpha
      i += 1
    }
  }

  /// Sum of all values, accumulated in Double per lane for accuracy and a fixed order.
  @inlinable
  public static func sum(_ x: UnsafeBufferPointer<Float>) -> Double {
    let n = x.count
    guard n > 0 else { return 0 }
    let xp = x.baseAddress!
    var acc = SIMD8<Double>(repeating: 0)
    var i = 0
    while i + 8 <= n {
      let v = load(xp + i)
      acc += SIMD8<Double>(
        Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]), Double(v[4]), Double(v[5]), Double(v[6]),
        Double(v[7]))
      i += 8
    }
    var total = 0.0
    for lane in 0..<8 { total += acc[lane] }
    while i < n {
      total += Double(xp[i])
      i += 1
    }
    return total
  }

  /// Adds `x` (a `[rows, channels]` matrix) column-wise into `out[channels]`: per-channel sums over an NHWC batch.
  @inlinable
  public static func addColumnSums(
    _ x: UnsafeBufferPointer<Float>, channels: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let rows = x.count / channels
    let xp = x.baseAddress!
    for r in 0..<rows {
      let row = xp + r * channels
      var c = 0
      while c + 8 <= channels {
        store(load(out + c) + load(row + c), out + c)
        c += 8
      }
      while c < channels {
        out[c] += row[c]
        c += 1
      }
    }
  }
}

import Testing

@testable import Tensor

/// Every SIMD kernel against the obvious scalar loop, on lengths around the 8-lane chunking.
@Suite struct ElementwiseTests {
  static let lengths = [0, 1, 7, 8, 9, 1000]

  /// Values with a mix of signs, zeros and negative zeros.
  func values(_ n: Int, _ stream: Int) -> [Float] {
    let u = RandomKey(seed: 77).fold(stream).uniforms(n)
    return u.enumerated().map { i, v in i % 11 == 3 ? 0 : i % 13 == 5 ? -0.0 : (v - 0.5) * 8 }
  }

  func apply(_ x: [Float], _ body: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    var y = [Float](repeating: .nan, count: x.count)
    x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { body(xs, $0) } }
    return y
  }

  /// Bit-level comparison, so that −0 vs +0 and rounding differences count.
  func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

  @Test(arguments: lengths) func relu(_ n: Int) {
    let x = values(n, 0)
    #expect(bits(apply(x) { Elementwise.relu($0, $1) }) == bits(x.map { max($0, 0) }))
  }

  @Test(arguments: lengths) func reluBackward(_ n: Int) {
    let y = values(n, 1).map { max($0, 0) }
    let dy = values(n, 2)
    let dx = apply(dy) { g, out in y.withUnsafeBufferPointer { Elementwise.reluBackward(output: $0, g, out) } }
    #expect(bits(dx) == bits(zip(y, dy).map { $0 > 0 ? $1 : 0 }))
  }

  @Test(arguments: lengths) func multiply(_ n: Int) {
    let a = values(n, 3)
    let b = values(n, 4)
    let y = apply(a) { a, out in b.withUnsafeBufferPointer { Elementwise.multiply(a, $0, out) } }
    #expect(bits(y) == bits(zip(a, b).map { $0 * $1 }))
  }

  @Test(arguments: lengths) func axpy(_ n: Int) {
    let x = values(n, 5)
    var y = values(n, 6)
    let expected = zip(x, y).map { $1 + 0.37 * $0 }
    x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { Elementwise.axpy(0.37, xs, $0) } }
    #expect(bits(y) == bits(expected))
  }

  @Test(arguments: lengths) func scale(_ n: Int) {
    var y = values(n, 7)
    let expected = y.map { $0 * -1.5 }
    y.withUnsafeMutableBufferPointer { Elementwise.scale(-1.5, $0) }
    #expect(bits(y) == bits(expected))
  }

  // The sum accumulates in Double: within 1e-12 relative of a Double loop, and the same bits on every call.
  @Test(arguments: lengths) func sum(_ n: Int) {
    let x = values(n, 8)
    let s = x.withUnsafeBufferPointer { Elementwise.sum($0) }
    let expected = x.reduce(0.0) { $0 + Double($1) }
    #expect(abs(s - expected) <= 1e-12 * max(1, x.reduce(0.0) { $0 + abs(Double($1)) }))
    #expect(s.bitPattern == x.withUnsafeBufferPointer { Elementwise.sum($0) }.bitPattern)
  }

  @Test(arguments: [1, 3, 8, 9, 17]) func addColumnSums(_ channels: Int) {
    let rows = 13
    let x = values(rows * channels, 9)
    var out = values(channels, 10)
    var expected = out
    for r in 0..<rows { for c in 0..<channels { expected[c] += x[r * channels + c] } }
    x.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { Elementwise.addColumnSums(xs, channels: channels, into: $0.baseAddress!) }
    }
    #expect(bits(out) == bits(expected))
  }
}

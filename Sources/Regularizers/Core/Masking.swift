import Tensor

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Helpers shared by the mask-based regularizers.
enum Masking {
  /// Draw `index` of `key`'s stream as a Double uniform in the open interval (0, 1), with 32 random bits.
  /// Open at 0 so that `log(u)` is finite (geometric skips, weighted sampling).
  static func openUniform(_ key: RandomKey, _ index: Int) -> Double {
    let word = key.bits(index >> 2)[index & 3]
    return (Double(word) + 0.5) * 0x1p-32
  }

  static func logarithm(_ x: Double) -> Double { log(x) }
  static func logOnePlus(_ x: Double) -> Double { log1p(x) }

  /// `x * mask` elementwise (same number of values).
  static func multiply(_ x: Tensor, _ mask: [Float]) -> Tensor {
    precondition(x.count == mask.count, "mask of \(mask.count) values for a tensor of shape \(x.shape)")
    return Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { xs in mask.withUnsafeBufferPointer { ms in Elementwise.multiply(xs, ms, out) } }
    }
  }

  /// `x * mask[row, channel]` for `x` seen as `[rows, positions, channels]` and a mask of `rows × channels` values:
  /// one factor per (sample, channel), broadcast over the positions.
  static func multiplyBroadcast(_ x: Tensor, rowChannelMask mask: [Float], channels: Int) -> Tensor {
    let rows = x.rows
    precondition(mask.count == rows * channels, "mask of \(mask.count) values for \(rows)×\(channels) channels")
    let positions = rows == 0 ? 0 : x.rowLength / channels
    return Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { xs in
        mask.withUnsafeBufferPointer { ms in
          for n in 0..<rows {
            let factors = UnsafeBufferPointer(rebasing: ms[(n * channels)..<((n + 1) * channels)])
            for p in 0..<positions {
              let start = (n * positions + p) * channels
              Elementwise.multiply(
                UnsafeBufferPointer(rebasing: xs[start..<(start + channels)]), factors,
                UnsafeMutableBufferPointer(rebasing: out[start..<(start + channels)]))
            }
          }
        }
      }
    }
  }
}

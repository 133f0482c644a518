import Tensor

/// Magnitude pruning of a trained fully connected layer, for evaluation only (Targeted Dropout's claim is about
/// how a net trained with it survives this). Row u of a Linear's weight is unit u's incoming weights.
public enum Pruning {
  public enum Criterion: String, Sendable {
    /// In every unit, the ⌊fraction · in⌋ incoming weights of smallest |w| (ties: lower index first).
    case weight
    /// The ⌊fraction · out⌋ units whose incoming weights have the smallest L2 norm (ties: lower index first).
    case unit
  }

  /// The weights with the pruned entries zeroed; `weight` is `[out, in]`.
  public static func pruned(_ weight: Tensor, fraction: Double, by criterion: Criterion) -> Tensor {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    var out = weight
    out.withUnsafeMutableBufferPointer { w in
      switch criterion {
      case .weight:
        let k = Int((fraction * Double(columns)).rounded(.down))
        guard k > 0 else { return }
        for r in 0..<rows {
          let base = r * columns
          let order = (0..<columns).sorted { (abs(w[base + $0]), $0) < (abs(w[base + $1]), $1) }
          for j in order.prefix(k) { w[base + j] = 0 }
        }
      case .unit:
        let k = Int((fraction * Double(rows)).rounded(.down))
        guard k > 0 else { return }
        let norms = (0..<rows).map { r in (0..<columns).reduce(Float(0)) { $0 + w[r * columns + $1] * w[r * columns + $1] } }
        let order = (0..<rows).sorted { (norms[$0], $0) < (norms[$1], $1) }
        for r in order.prefix(k) { (w.baseAddress! + r * columns).update(repeating: 0, count: columns) }
      }
    }
    return out
  }

  /// The weights with every unit (row) from `kept` on zeroed: the layer cut to its first `kept` units.
  public static func keepingFirstUnits(_ weight: Tensor, _ kept: Int) -> Tensor {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    var out = weight
    guard kept < rows else { return out }
    out.withUnsafeMutableBufferPointer { w in
      (w.baseAddress! + kept * columns).update(repeating: 0, count: (rows - kept) * columns)
    }
    return out
  }
}

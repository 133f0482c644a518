import Tensor

/// A loss value and its gradient with respect to the model output.
public struct LossResult {
  public var loss: Double
  public var gradient: Tensor
}

public enum Losses {
  /// Mean softmax cross-entropy over the batch for logits `[N, K]` and integer labels.
  public static func softmaxCrossEntropy(logits: Tensor, labels: ArraySlice<Int32>) -> LossResult {
    let n = logits.rows
    let k = logits.rowLength
    var total = 0.0
    let grad = Tensor(shape: logits.shape) { out in
      logits.withUnsafeBufferPointer { z in
        for r in 0..<n {
          let row = z.baseAddress! + r * k
          let (maxValue, sum) = exponentials(row, k, into: out.baseAddress! + r * k)
          let label = Int(labels[labels.startIndex + r])
          total -= Double(row[label] - maxValue - logf32(sum))
          let scale = 1 / (sum * Float(n))
          for j in 0..<k { out[r * k + j] *= scale }
          out[r * k + label] -= 1 / Float(n)
        }
      }
    }
    return LossResult(loss: total / Double(n), gradient: grad)
  }

  /// Mean softmax cross-entropy against soft targets `[N, K]` (each row a distribution): −Σ_j t_j log softmax(z)_j,
  /// gradient (softmax(z) − t) / N. With one-hot rows it equals `softmaxCrossEntropy` up to rounding.
  public static func softCrossEntropy(logits: Tensor, targets: Tensor) -> LossResult {
    precondition(targets.shape == logits.shape, "soft targets \(targets.shape) for logits \(logits.shape)")
    let n = logits.rows
    let k = logits.rowLength
    var total = 0.0
    let grad = Tensor(shape: logits.shape) { out in
      logits.withUnsafeBufferPointer { z in
        targets.withUnsafeBufferPointer { t in
          for r in 0..<n {
            let row = z.baseAddress! + r * k
            let (maxValue, sum) = exponentials(row, k, into: out.baseAddress! + r * k)
            let logSum = logf32(sum)
            for j in 0..<k {
              let target = t[r * k + j]
              if target != 0 { total -= Double(target) * Double(row[j] - maxValue - logSum) }
              out[r * k + j] = (out[r * k + j] / sum - target) / Float(n)
            }
          }
        }
      }
    }
    return LossResult(loss: total / Double(n), gradient: grad)
  }

  /// Mean squared error over every example and output, (1/(N·D)) Σ (y − t)², gradient 2(y − t)/(N·D).
  public static func meanSquaredError(_ output: Tensor, _ targets: Tensor) -> LossResult {
    precondition(output.count == targets.count, "MSE: output \(output.shape) for targets \(targets.shape)")
    let scale = 1 / Double(max(1, output.count))
    var total = 0.0
    let grad = Tensor(shape: output.shape) { out in
      output.withUnsafeBufferPointer { y in
        targets.withUnsafeBufferPointer { t in
          for i in 0..<y.count {
            let d = y[i] - t[i]
            total += Double(d) * Double(d)
            out[i] = Float(2 * Double(d) * scale)
          }
        }
      }
    }
    return LossResult(loss: total * scale, gradient: grad)
  }

  /// exp(z_j − max z) of one row of `k` logits into `out`; returns (max z, Σ exp). Shared by both cross-entropies.
  @inline(__always)
  static func exponentials(_ row: UnsafePointer<Float>, _ k: Int, into out: UnsafeMutablePointer<Float>)
    -> (Float, Float)
  {
    var maxValue = row[0]
    for j in 1..<k { maxValue = max(maxValue, row[j]) }
    var sum: Float = 0
    for j in 0..<k {
      let e = expf32(row[j] - maxValue)
      out[j] = e
      sum += e
    }
    return (maxValue, sum)
  }

  /// Binary cross-entropy on logits plus soft Dice (1 − Dice of σ(z), per image, averaged) for `[N, H, W, 1]`
  /// logits and {0, 1} masks: the usual segmentation loss, BCE for per-pixel calibration, Dice for the small target.
  public static func diceBCE(logits: Tensor, masks: Tensor, smooth: Double = 1) -> LossResult {
    let n = logits.rows
    let m = logits.rowLength
    var bce = 0.0
    var dice = 0.0
    let grad = Tensor(shape: logits.shape) { out in
      logits.withUnsafeBufferPointer { z in
        masks.withUnsafeBufferPointer { t in
          for b in 0..<n {
            var intersection = 0.0
            var total = 0.0
            for i in (b * m)..<((b + 1) * m) {
              let p = 1 / (1 + expf32(-z[i]))
              out[i] = p
              intersection += Double(p * t[i])
              total += Double(p + t[i])
              // log(1 + e^{-|z|}) + max(z, 0) − z·t: BCE with logits, stable for large |z|.
              bce += Double(logf32(1 + expf32(-abs(z[i]))) + max(z[i], 0) - z[i] * t[i])
            }
            let d = (2 * intersection + smooth) / (total + smooth)
            dice += d
            for i in (b * m)..<((b + 1) * m) {
              let p = Double(out[i])
              let dDice =
                (2 * Double(t[i]) * (total + smooth) - (2 * intersection + smooth))
                / ((total + smooth) * (total + smooth))
              let dLossDp = -dDice / Double(n)
              out[i] = Float(dLossDp * p * (1 - p) + (p - Double(t[i])) / Double(n * m))
            }
          }
        }
      }
    }
    return LossResult(loss: bce / Double(n * m) + (1 - dice / Double(n)), gradient: grad)
  }
}

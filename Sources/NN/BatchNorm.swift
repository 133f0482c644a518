import Tensor

/// Batch normalisation over the last axis (channels of NHWC maps, features of `[N, F]`): BatchNorm2d and
/// BatchNorm1d are the same computation in a channels-last layout. Batch statistics in training (biased variance
/// for normalising, unbiased for the running estimate, momentum 0.1 as PyTorch), running statistics in evaluation.
public final class BatchNorm: Layer {
  public let gamma: Parameter
  public let beta: Parameter
  public private(set) var runningMean: [Float]
  public private(set) var runningVar: [Float]
  public let momentum: Float
  public let epsilon: Float
  private var normalized = Tensor(shape: [0])
  private var inverseStd: [Float] = []

  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
    gamma = Parameter(name: "bn.gamma", value: Tensor(shape: [channels], repeating: 1))
    beta = Parameter(name: "bn.beta", value: Tensor(shape: [channels]))
    runningMean = [Float](repeating: 0, count: channels)
    runningVar = [Float](repeating: 1, count: channels)
    self.momentum = momentum
    self.epsilon = epsilon
  }

  public var channels: Int { gamma.value.count }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let c = channels
    let rows = x.count / c
    var mean = [Float](repeating: 0, count: c)
    var invStd = [Float](repeating: 0, count: c)
    if context.mode == .train {
      // Two passes in Double per channel: Float sums over 10⁵ rows lose the digits BN's gradient needs.
      var sum = [Double](repeating: 0, count: c)
      var sumSq = [Double](repeating: 0, count: c)
      x.withUnsafeBufferPointer { src in
        for r in 0..<rows {
          for ch in 0..<c { sum[ch] += Double(src[r * c + ch]) }
        }
        for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
        for r in 0..<rows {
          for ch in 0..<c {
            let d = Double(src[r * c + ch] - mean[ch])
            sumSq[ch] += d * d
          }
        }
      }
      for ch in 0..<c {
        let variance = sumSq[ch] / Double(rows)
        invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
        let unbiased = rows > 1 ? variance * Double(rows) / Double(rows - 1) : variance
        runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
        runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
      }
    } else {
      mean = runningMean
      for ch in 0..<c { invStd[ch] = 1 / (runningVar[ch] + epsilon).squareRoot() }
    }
    var xhat = Tensor(shape: x.shape)
    var y = Tensor(shape: x.shape)
    x.withUnsafeBufferPointer { src in
      xhat.withUnsafeMutableBufferPointer { nx in
        y.withUnsafeMutableBufferPointer { out in
          gamma.value.withUnsafeBufferPointer { g in
            beta.value.withUnsafeBufferPointer { b in
              for r in 0..<rows {
                for ch in 0..<c {
                  let v = (src[r * c + ch] - mean[ch]) * invStd[ch]
                  nx[r * c + ch] = v
                  out[r * c + ch] = v * g[ch] + b[ch]
                }
              }
            }
          }
        }
      }
    }
    if context.mode == .train {
      normalized = xhat
      inverseStd = invStd
    }
    return y
  }

  /// dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), per channel.
  public func backward(_ dy: Tensor) -> Tensor {
    let c = channels
    let rows = dy.count / c
    var sumDy = [Double](repeating: 0, count: c)
    var sumDyXhat = [Double](repeating: 0, count: c)
    dy.withUnsafeBufferPointer { g in
      normalized.withUnsafeBufferPointer { nx in
        for r in 0..<rows {
          for ch in 0..<c {
            sumDy[ch] += Double(g[r * c + ch])
            sumDyXhat[ch] += Double(g[r * c + ch] * nx[r * c + ch])
          }
        }
      }
    }
    gamma.grad.withUnsafeMutableBufferPointer { gg in
      beta.grad.withUnsafeMutableBufferPointer { gb in
        for ch in 0..<c {
          gg[ch] += Float(sumDyXhat[ch])
          gb[ch] += Float(sumDy[ch])
        }
      }
    }
    let m = Float(rows)
    let meanDy = sumDy.map { Float($0) / m }
    let meanDyXhat = sumDyXhat.map { Float($0) / m }
    return Tensor(shape: dy.shape) { out in
      dy.withUnsafeBufferPointer { g in
        normalized.withUnsafeBufferPointer { nx in
          gamma.value.withUnsafeBufferPointer { gm in
            for r in 0..<rows {
              for ch in 0..<c {
                let i = r * c + ch
                out[i] = gm[ch] * inverseStd[ch] * (g[i] - meanDy[ch] - nx[i] * meanDyXhat[ch])
              }
            }
          }
        }
      }
    }
  }

  public var parameters: [Parameter] { [gamma, beta] }
}

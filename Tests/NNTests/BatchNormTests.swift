import Tensor
import Testing

@testable import NN

@Suite struct BatchNormTests {
  let key = RandomKey(seed: 41)
  let train = StepContext(mode: .train, key: RandomKey(seed: 0))

  /// Per-channel mean and biased variance over every axis but the last, in Double.
  func channelMoments(_ t: Tensor, channels c: Int) -> (mean: [Double], variance: [Double]) {
    let rows = t.count / c
    var mean = [Double](repeating: 0, count: c)
    var variance = [Double](repeating: 0, count: c)
    for r in 0..<rows { for ch in 0..<c { mean[ch] += Double(t.storage[r * c + ch]) / Double(rows) } }
    for r in 0..<rows {
      for ch in 0..<c {
        let d = Double(t.storage[r * c + ch]) - mean[ch]
        variance[ch] += d * d / Double(rows)
      }
    }
    return (mean, variance)
  }

  /// Channels with different offsets and scales, so a per-channel bug cannot hide behind similar statistics.
  func input(_ shape: [Int]) -> Tensor {
    var x = Tensor.normal(shape, key: key.fold(shape.count))
    let c = shape.last!
    for i in 0..<x.count { x.storage[i] = x.storage[i] * Float(1 + i % c) + Float(3 * (i % c)) - 2 }
    return x
  }

  // With γ = 1, β = 0 the output is normalised per channel: |mean| ≤ 1e-5, |biased var − 1| ≤ 1e-3 (ε = 1e-5
  // shrinks the variance by ε/σ² ≤ 1e-5).
  @Test(arguments: [[16, 5], [3, 4, 5, 6]]) func trainingNormalisesEachChannel(_ shape: [Int]) {
    let bn = BatchNorm(channels: shape.last!)
    let y = bn.forward(input(shape), train)
    let (mean, variance) = channelMoments(y, channels: shape.last!)
    for ch in 0..<shape.last! {
      #expect(abs(mean[ch]) <= 1e-5)
      #expect(abs(variance[ch] - 1) <= 1e-3)
    }
  }

  /// The eight-channel lanes give exactly the scalar loops' bits: outputs in both modes, input and parameter
  /// gradients and running statistics, over two steps (so the running estimate feeds evaluation).
  @Test(arguments: [[64, 16], [4, 5, 3, 24], [2, 7, 7, 64]]) func lanesMatchTheScalarLoopsBitForBit(_ shape: [Int]) {
    let c = shape.last!
    let lanes = BatchNorm(channels: c)
    let scalar = BatchNorm(channels: c)
    scalar.vectorized = false
    for bn in [lanes, scalar] {
      bn.gamma.value = Tensor.normal([c], key: key.fold(90))
      bn.beta.value = Tensor.normal([c], key: key.fold(91))
    }
    func bits(_ t: Tensor) -> [UInt32] { t.storage.map(\.bitPattern) }
    for step in 0..<2 {
      let x = input(shape)
      let dy = Tensor.normal(shape, key: key.fold(92 + step))
      #expect(bits(lanes.forward(x, train)) == bits(scalar.forward(x, train)))
      #expect(bits(lanes.backward(dy)) == bits(scalar.backward(dy)))
      #expect(bits(lanes.gamma.grad) == bits(scalar.gamma.grad))
      #expect(bits(lanes.beta.grad) == bits(scalar.beta.grad))
      #expect(lanes.runningMean.map(\.bitPattern) == scalar.runningMean.map(\.bitPattern))
      #expect(lanes.runningVar.map(\.bitPattern) == scalar.runningVar.map(\.bitPattern))
      #expect(bits(lanes.forward(x, .evaluation)) == bits(scalar.forward(x, .evaluation)))
    }
  }

  /// The fused ReLU gives exactly what BN followed by a separate ReLU gives: outputs, input and parameter
  /// gradients, on both the lane path and the scalar path.
  @Test(arguments: [[4, 5, 3, 16], [6, 5, 3]]) func fusedReLUEqualsBatchNormThenReLU(_ shape: [Int]) {
    let c = shape.last!
    let fused = BatchNorm(channels: c, relu: true)
    let plain = BatchNorm(channels: c)
    let relu = ReLU()
    for bn in [fused, plain] {
      bn.gamma.value = Tensor.normal([c], key: key.fold(95))
      bn.beta.value = Tensor.normal([c], key: key.fold(96))
    }
    func bits(_ t: Tensor) -> [UInt32] { t.storage.map(\.bitPattern) }
    let x = input(shape)
    let dy = Tensor.normal(shape, key: key.fold(97))
    let y = fused.forward(x, train)
    #expect(bits(y) == bits(relu.forward(plain.forward(x, train), train)))
    #expect(y.storage.contains(0) && y.storage.contains { $0 > 0 })
    #expect(bits(fused.backward(dy)) == bits(plain.backward(relu.backward(dy))))
    #expect(bits(fused.gamma.grad) == bits(plain.gamma.grad) && bits(fused.beta.grad) == bits(plain.beta.grad))
    #expect(bits(fused.forward(x, .evaluation)) == bits(relu.forward(plain.forward(x, .evaluation), .evaluation)))
  }

  // Running statistics after one step: 0.9·(0, 1) + 0.1·(batch mean, unbiased batch variance), relative 1e-5.
  @Test func runningStatisticsUseMomentumAndUnbiasedVariance() {
    let shape = [2, 3, 3, 4]
    let x = input(shape)
    let bn = BatchNorm(channels: 4)
    _ = bn.forward(x, train)
    let (mean, variance) = channelMoments(x, channels: 4)
    let m = Double(x.count / 4)
    for ch in 0..<4 {
      let expectedMean = 0.1 * mean[ch]
      let expectedVar = 0.9 + 0.1 * variance[ch] * m / (m - 1)
      #expect(abs(Double(bn.runningMean[ch]) - expectedMean) <= 1e-5 * (1 + abs(expectedMean)))
      #expect(abs(Double(bn.runningVar[ch]) - expectedVar) <= 1e-5 * expectedVar)
    }
    _ = bn.forward(x, train)
    for ch in 0..<4 {
      let expectedMean = 0.9 * 0.1 * mean[ch] + 0.1 * mean[ch]
      #expect(abs(Double(bn.runningMean[ch]) - expectedMean) <= 1e-5 * (1 + abs(expectedMean)))
    }
  }

  // Evaluation uses the running statistics, γ and β, and leaves the running statistics alone; relative 1e-5.
  @Test func evaluationUsesRunningStatistics() {
    let bn = BatchNorm(channels: 4)
    bn.gamma.value = .normal([4], key: key.fold(10))
    bn.beta.value = .normal([4], key: key.fold(11))
    _ = bn.forward(input([5, 4]), train)
    let (runningMean, runningVar) = (bn.runningMean, bn.runningVar)
    let x = Tensor.normal([3, 2, 2, 4], key: key.fold(12))
    let y = bn.forward(x, .evaluation)
    #expect(bn.runningMean == runningMean && bn.runningVar == runningVar)
    for i in 0..<x.count {
      let ch = i % 4
      let expected =
        (Double(x.storage[i]) - Double(runningMean[ch])) / (Double(runningVar[ch]) + 1e-5).squareRoot()
        * Double(bn.gamma.value.storage[ch]) + Double(bn.beta.value.storage[ch])
      #expect(abs(Double(y.storage[i]) - expected) <= 1e-5 * (1 + abs(expected)))
    }
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2; the batch statistics are part of f.
  @Test(arguments: [[6, 5], [2, 3, 3, 4]]) func trainingGradients(_ shape: [Int]) {
    let c = shape.last!
    let bn = BatchNorm(channels: c)
    bn.gamma.value = .uniform([c], key: key.fold(20), in: 0.5...2)
    bn.beta.value = .normal([c], key: key.fold(21))
    let r = GradientCheck(inputSamples: 30).check(bn, input: input(shape), key: key.fold(22))
    #expect(r.maxError <= 1e-2, "\(r)")
  }
}

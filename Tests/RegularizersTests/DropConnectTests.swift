import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct DropConnectTests {
  func linear(_ inFeatures: Int, _ outFeatures: Int, mask: WeightMask?, seed: UInt64 = 51) -> Linear {
    let layer = Linear(inFeatures: inFeatures, outFeatures: outFeatures, key: RandomKey(seed: seed))
    layer.bias.value = normalTensor([outFeatures], seed: seed + 1, scale: 0.1)
    layer.weightMask = mask
    return layer
  }

  @Test func shapeKeptAndIdentityInStandardEvaluationAndAtRateZero() {
    let w = normalTensor([5, 7], seed: 1)
    let mask = DropConnect(rate: 0.5)
    #expect(mask.effectiveWeights(w, training())?.shape == w.shape)
    #expect(mask.effectiveWeights(w, .evaluation) == nil)
    #expect(
      mask.evaluate(input: normalTensor([3, 7], seed: 2), weight: w, bias: Tensor(shape: [5]), .evaluation) == nil)
    #expect(DropConnect(rate: 0).effectiveWeights(w, training()) == nil)
    let x = normalTensor([3, 7], seed: 3)
    let plain = linear(7, 5, mask: nil)
    #expect(linear(7, 5, mask: mask).forward(x, .evaluation) == plain.forward(x, .evaluation))
    #expect(linear(7, 5, mask: DropConnect(rate: 0)).forward(x, training()) == plain.forward(x, training()))
  }

  /// Weights, a gradient for them (seeds `seed`, `seed + 1`), a mask on `stream` and the training context of `step`.
  func drawn(rate: Double, shape: [Int], seed: UInt64, stream: UInt64, step: Int) -> (
    Tensor, Tensor, DropConnect, StepContext
  ) {
    (normalTensor(shape, seed: seed), normalTensor(shape, seed: seed + 1), DropConnect(rate: rate, stream: stream),
     training(step: step))
  }

  /// Kept weights are exactly w/(1 − rate), dropped ones 0, at the positions of the `Dropout.mask` draws of the
  /// site's key; `rawGradient` multiplies by the same scaled mask.
  @Test func keptWeightsAreScaledAndTheGradientIsMaskedTheSameWay() {
    let rate = 0.4
    let (w, g, mask, context) = drawn(rate: rate, shape: [6, 9], seed: 4, stream: 7, step: 2)
    let masked = mask.effectiveWeights(w, context)!
    let raw = mask.rawGradient(g)
    let keep = Dropout.mask(count: w.count, rate: rate, key: context.key.fold(UInt64(7)))
    let scale = Float(1 / (1 - rate))
    for i in 0..<w.count {
      #expect(masked.storage[i] == w.storage[i] * (keep[i] * scale))
      #expect(raw.storage[i] == g.storage[i] * (keep[i] * scale))
    }
    #expect(Set(keep) == [0, 1])
  }

  /// The one-pass forms are the two-pass ones bit for bit (sign of zero included): the masked weights are
  /// `Masking.multiply(W, scaledMask)`, and `accumulateRawGradient` adds, per weight, exactly what `rawGradient`
  /// followed by an axpy adds. A count that is not a multiple of 32 exercises the draws' head and tail.
  @Test func onePassMaskingIsTheTwoPassProductBitForBit() {
    let rate = 0.3
    let (w, g, mask, context) = drawn(rate: rate, shape: [37, 29], seed: 14, stream: 3, step: 9)
    let masked = mask.effectiveWeights(w, context)!
    let reference = Masking.multiply(w, DropConnect.scaledMask(count: w.count, rate: rate, key: context.key.fold(UInt64(3))))
    #expect(masked.storage.map(\.bitPattern) == reference.storage.map(\.bitPattern))
    #expect(masked.storage.contains { $0 == 0 && $0.sign == .minus })
    let start = normalTensor([37, 29], seed: 16)
    var fused = start.storage
    fused.withUnsafeMutableBufferPointer { mask.accumulateRawGradient(g, into: $0) }
    var twoPass = start.storage
    let raw = mask.rawGradient(g)
    raw.withUnsafeBufferPointer { r in twoPass.withUnsafeMutableBufferPointer { Elementwise.axpy(1, r, $0) } }
    #expect(fused.map(\.bitPattern) == twoPass.map(\.bitPattern))
    #expect(fused != start.storage)
  }

  /// 256 × 784 weights (a hidden layer of the MLP): standard error of the fraction √(0.25/200704) = 0.0011;
  /// tolerance 0.006 (> 5 σ).
  @Test(arguments: [0.2, 0.5, 0.8])
  func droppedFractionMatchesRate(rate: Double) {
    let w = Tensor(shape: [256, 784], repeating: 1)
    let masked = DropConnect(rate: rate).effectiveWeights(w, training(seed: 8))!
    #expect(abs(zeroFraction(masked) - rate) < 0.006)
  }

  @Test func sameKeySameMaskAndOtherStreamsOrStepsDiffer() {
    let w = Tensor(shape: [16, 16], repeating: 1)
    let a = DropConnect(rate: 0.5, stream: 1)
    let first = a.effectiveWeights(w, training(step: 3))
    #expect(first == DropConnect(rate: 0.5, stream: 1).effectiveWeights(w, training(step: 3)))
    #expect(first != DropConnect(rate: 0.5, stream: 2).effectiveWeights(w, training(step: 3)))
    #expect(first != a.effectiveWeights(w, training(step: 4)))
  }

  /// Finite differences through a Linear with the mask of a fixed key: ∂f/∂W = (∂f/∂W_eff) ⊙ M/(1 − rate) and
  /// ∂f/∂x through the masked weights. The layer is linear, so h = 1e-2 is exact up to Float rounding: tolerance
  /// 1e-2 relative, floor 1e-3 (NNTests' Linear tolerance). A mask whose raw gradient forgets the mask fails it.
  @Test func linearGradientWithTheMaskAgreesWithFiniteDifferences() {
    final class Unmasked: WeightMask {
      let inner = DropConnect(rate: 0.5, stream: 3)
      func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor? {
        inner.effectiveWeights(weight, context)
      }
      func rawGradient(_ gradient: Tensor) -> Tensor { gradient }
    }
    let check = FiniteDifferences(samples: 30)
    let x = normalTensor([4, 12], seed: 9)
    let good = check.check(
      linear(12, 6, mask: DropConnect(rate: 0.5, stream: 3)), input: x, context: training(step: 1),
      key: RandomKey(seed: 10))
    #expect(good.maxError <= 1e-2, "\(good)")
    #expect(good.checked == 30 + 30 + 6)
    let bad = check.check(
      linear(12, 6, mask: Unmasked()), input: x, context: training(step: 1), key: RandomKey(seed: 10))
    #expect(bad.maxError > 0.4, "\(bad)")
  }

  /// Per-sample masks: row n of the output is x_n·(W ⊙ M_n/(1 − rate))ᵀ + b with M_n draws n·|W| … of the site's
  /// stream (so row 0 is exactly the per-batch layer's row 0), rows use different masks, evaluation is unchanged.
  @Test func perSampleRowsUseTheirOwnSegmentOfTheStream() {
    let rate = 0.5
    let (n, out, inFeatures) = (5, 6, 9)
    let x = normalTensor([n, inFeatures], seed: 21)
    let layer = linear(inFeatures, out, mask: DropConnect(rate: rate, stream: 4, perSample: true))
    let context = training(step: 3)
    let y = layer.forward(x, context)
    let w = layer.weight.value
    let masks = Dropout.mask(
      count: n * w.count, rate: rate, key: context.key.fold(UInt64(4)), kept: Dropout.keepScale(rate: rate))
    for r in 0..<n {
      for u in 0..<out {
        var sum = 0.0
        for j in 0..<inFeatures {
          sum += Double(x.storage[r * inFeatures + j]) * Double(w.storage[u * inFeatures + j] * masks[r * w.count + u * inFeatures + j])
        }
        sum += Double(layer.bias.value.storage[u])
        #expect(abs(Double(y.storage[r * out + u]) - sum) <= 1e-5 * max(1, abs(sum)), "row \(r) unit \(u)")
      }
    }
    let batchMask = linear(inFeatures, out, mask: DropConnect(rate: rate, stream: 4)).forward(x, context)
    #expect(Array(y.storage[0..<out]) == Array(batchMask.storage[0..<out]))
    let differing = (0..<w.count).filter { (masks[$0] == 0) != (masks[w.count + $0] == 0) }.count
    #expect(differing > 0, "samples 0 and 1 drew the same mask")
    #expect(layer.forward(x, .evaluation) == linear(inFeatures, out, mask: nil).forward(x, .evaluation))
  }

  /// Over 64 samples × 4,096 weights the per-sample drop fraction is the rate (σ = 0.001; tolerance 0.006).
  @Test func perSampleDroppedFractionMatchesRate() {
    let layer = linear(64, 64, mask: DropConnect(rate: 0.3, stream: 2, perSample: true))
    layer.weight.value = Tensor(shape: [64, 64], repeating: 1)
    layer.bias.value = Tensor(shape: [64])
    // One-hot inputs: output (r, u) is the masked scaled weight (u, r mod 64) of sample r.
    var x = Tensor(shape: [64 * 64, 64])
    for r in 0..<(64 * 64) { x.storage[r * 64 + r % 64] = 1 }
    let y = layer.forward(x, training(seed: 3))
    #expect(abs(zeroFraction(y.storage) - 0.3) < 0.006)
  }

  /// Finite differences through the per-sample product: ∂f/∂W = Σ_n (dy_n ⊗ x_n) ⊙ M_n·s and ∂f/∂x_n through
  /// W ⊙ M_n·s, the masks drawn again in the backward. A backward that used one mask for all samples fails it.
  @Test func perSampleGradientAgreesWithFiniteDifferences() {
    let check = FiniteDifferences(samples: 30)
    let x = normalTensor([4, 12], seed: 19)
    let report = check.check(
      linear(12, 6, mask: DropConnect(rate: 0.5, stream: 3, perSample: true)), input: x, context: training(step: 2),
      key: RandomKey(seed: 20))
    #expect(report.maxError <= 1e-2, "\(report)")
    #expect(report.checked == 30 + 30 + 6)
    final class OneMaskBackward: WeightMask {
      let inner = DropConnect(rate: 0.5, stream: 3, perSample: true)
      let batch = DropConnect(rate: 0.5, stream: 3)
      func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor? { nil }
      func rawGradient(_ gradient: Tensor) -> Tensor { gradient }
      func perSampleForward(input: Tensor, weight: Tensor, _ context: StepContext) -> Tensor? {
        _ = batch.effectiveWeights(weight, context)
        return inner.perSampleForward(input: input, weight: weight, context)
      }
      func perSampleBackward(_ dy: Tensor, input: Tensor, weight: Tensor, inputGradient: Bool) -> (
        input: Tensor, weight: Tensor
      ) {
        let (dx, _) = inner.perSampleBackward(dy, input: input, weight: weight, inputGradient: inputGradient)
        var plain = Tensor(shape: weight.shape)
        for r in 0..<input.rows {
          for u in 0..<weight.shape[0] {
            for j in 0..<weight.shape[1] {
              plain.storage[u * weight.shape[1] + j] += dy.storage[r * weight.shape[0] + u] * input.storage[r * weight.shape[1] + j]
            }
          }
        }
        return (dx, batch.rawGradient(plain))
      }
    }
    let bad = check.check(linear(12, 6, mask: OneMaskBackward()), input: x, context: training(step: 2), key: RandomKey(seed: 20))
    #expect(bad.maxError > 0.4, "\(bad)")
  }

  @Test func rectifiedGaussianMeanClosedForm() {
    #expect(DropConnect.rectifiedGaussianMean(mu: 0.3, sigma: 0) == 0.3)
    #expect(DropConnect.rectifiedGaussianMean(mu: -0.3, sigma: 0) == 0)
    #expect(abs(DropConnect.rectifiedGaussianMean(mu: 0, sigma: 1) - 1 / (2 * Double.pi).squareRoot()) < 1e-12)
    // Far from zero the rectifier is inactive or the identity.
    #expect(abs(DropConnect.rectifiedGaussianMean(mu: 8, sigma: 1) - 8) < 1e-12)
    #expect(DropConnect.rectifiedGaussianMean(mu: -8, sigma: 1) < 1e-12)
  }

  /// Gaussian inference before a ReLU against a Monte-Carlo average of max(0, x·(W ⊙ M/(1 − p))ᵀ + b) over 16000
  /// masks. Each average has a standard error of its sample sd / √16000 (measured, ≤ 0.009 here); the Gaussian
  /// approximation of a sum of 64 masked terms adds a bias of up to ≈ 2% of the output scale (mean output ≈ 0.47),
  /// largest for outputs near zero. Tolerance per output: 4 standard errors plus 2% of the scale (the worst output
  /// uses about 60% of it). The mean rule max(0, μ) is off by ≈ 35% of the scale and must be clearly worse, and a
  /// variance without the 1/(1 − p) of inverted scaling fails the band.
  @Test func gaussianInferenceMatchesMonteCarlo() {
    let (n, inFeatures, out, rate) = (4, 64, 16, 0.5)
    let x = normalTensor([n, inFeatures], seed: 11)
    let w = normalTensor([out, inFeatures], seed: 12, scale: 0.125)
    let b = normalTensor([out], seed: 13, scale: 0.1)
    let layer = Linear(inFeatures: inFeatures, outFeatures: out, key: RandomKey(seed: 14))
    layer.weight.value = w
    layer.bias.value = b
    layer.weightMask = DropConnect(rate: rate, followedByReLU: true, stream: 5)
    let gaussian = layer.forward(x, .evaluation(EvaluationSettings(inference: "gaussian")))
    let meanRule = relu(layer.forward(x, .evaluation))

    let draws = 16000
    var sum = [Double](repeating: 0, count: n * out)
    var squares = [Double](repeating: 0, count: n * out)
    let probe = Linear(inFeatures: inFeatures, outFeatures: out, key: RandomKey(seed: 14))
    probe.bias.value = b
    for d in 0..<draws {
      probe.weight.value = Masking.multiply(
        w, DropConnect.scaledMask(count: w.count, rate: rate, key: RandomKey(seed: 15).fold(d)))
      let y = relu(probe.forward(x, .evaluation))
      for i in 0..<(n * out) {
        sum[i] += Double(y.storage[i])
        squares[i] += Double(y.storage[i]) * Double(y.storage[i])
      }
    }
    let scale = sum.map { abs($0) / Double(draws) }.reduce(0, +) / Double(n * out)
    var gaussianWorst = 0.0
    var meanRuleError = 0.0
    for i in 0..<(n * out) {
      let mean = sum[i] / Double(draws)
      let se = (max(0, squares[i] / Double(draws) - mean * mean) / Double(draws)).squareRoot()
      let off = abs(Double(gaussian.storage[i]) - mean)
      gaussianWorst = max(gaussianWorst, off / (4 * se + 0.02 * scale))
      meanRuleError += abs(Double(meanRule.storage[i]) - mean)
    }
    #expect(gaussianWorst <= 1, "worst deviation \(gaussianWorst) of the allowed band")
    #expect(meanRuleError / Double(n * out) > 0.1 * scale, "mean rule off by \(meanRuleError / Double(n * out))")
    #expect(gaussian.storage.allSatisfy { $0 >= 0 })
  }

  /// Without a following ReLU the Gaussian rule is the mean μ = x·Wᵀ + b, the standard rule.
  @Test func gaussianInferenceWithoutReLUIsTheMean() {
    let x = normalTensor([3, 10], seed: 16)
    let layer = linear(10, 4, mask: DropConnect(rate: 0.5, followedByReLU: false))
    let gaussian = layer.forward(x, .evaluation(EvaluationSettings(inference: "gaussian")))
    let standard = layer.forward(x, .evaluation)
    for i in 0..<gaussian.count { #expect(abs(gaussian.storage[i] - standard.storage[i]) < 1e-5) }
  }

  static let site = Site(
    name: "hidden2", kind: .weights, shape: [256, 256], stream: Site.namedStream(.weights, "hidden2"),
    followedByReLU: true)

  @Test(arguments: [[:], ["rate": ConfigValue.double(0.2)], ["rate": .double(0)]])
  func conformsAtAnMLPHiddenLayer(params: [String: ConfigValue]) {
    let results = Conformance.check(DropConnect.descriptor, params, at: Self.site)
    #expect(conforms(results), "\(results)")
  }

  /// The inference rule is an evaluation setting, not a parameter; the site's ReLU flag reaches the mask.
  @Test func inferenceIsNotAParameterAndTheReLUFlagIsPassedOn() throws {
    #expect(DropConnect.descriptor.parameters.map(\.name) == ["rate", "per_sample"])
    #expect(
      DropConnect.descriptor.validate(["inference": .string("gaussian")], Self.site)?.contains("unknown parameter 'inference'") == true)
    guard case .weights(let made) = DropConnect.descriptor.make([:], Self.site) else {
      Issue.record("dropconnect did not make a weight mask")
      return
    }
    let mask = try #require(made as? DropConnect)
    #expect(mask.followedByReLU && mask.rate == 0.5 && mask.stream == Self.site.stream)
  }
}

import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

/// Learnable channel dropout: gradients of the input and of M against finite differences (the step's key fixed, so
/// the same seeds and uniforms are drawn on both sides), the rate penalty's value and gradient, M exempt from weight
/// decay, and training that holds the mean drop probability near its target.
@Suite struct LearnableChannelDropoutTests {
  static let shape = [3, 4, 4, 5]

  func layer() -> LearnableChannelDropout {
    let l = LearnableChannelDropout(channels: 5, rate: 0.3, temperature: 0.5, penalty: 2, stream: 4)
    // Distinct logits so every entry matters.
    let u = RandomKey(seed: 21).fold(.test).uniforms(25)
    for k in 0..<25 { l.logits.value.storage[k] = -1.5 + 2 * u[k] }
    return l
  }

  /// f(M, x) = ⟨r, y(x; M)⟩ + penalty(M): backward + addLoss against central differences in M and in x.
  @Test func gradientsMatchFiniteDifferences() {
    let l = layer()
    let x = normalTensor(Self.shape, seed: 5, offset: 0.3)
    let r = normalTensor(Self.shape, seed: 6)
    let context = training(step: 3)
    func f() -> Double {
      let y = l.forward(x, context)
      var penaltyOnly = 0.0
      let saved = l.logits.grad
      penaltyOnly = l.addLoss(context)
      l.logits.grad = saved
      return zip(y.storage, r.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } + penaltyOnly
    }
    l.logits.zeroGrad()
    _ = l.forward(x, context)
    let dx = l.backward(r)
    _ = l.addLoss(context)
    let dM = l.logits.grad
    let h: Float = 1e-3
    var worstM = 0.0
    for k in 0..<25 {
      let v = l.logits.value.storage[k]
      l.logits.value.storage[k] = v + h
      let plus = f()
      l.logits.value.storage[k] = v - h
      let minus = f()
      l.logits.value.storage[k] = v
      let numeric = (plus - minus) / Double(2 * h)
      worstM = max(worstM, abs(numeric - Double(dM.storage[k])) / max(1, abs(numeric)))
    }
    #expect(worstM < 2e-2, "dM differs from finite differences by \(worstM)")
    // In x the layer is linear (the drops do not depend on x): dx is exact.
    let y0 = l.forward(x, context)
    var bumped = x
    bumped.storage[7] += 1
    let y1 = l.forward(bumped, context)
    let numeric = zip(zip(y1.storage, y0.storage), r.storage).reduce(0.0) { $0 + Double($1.0.0 - $1.0.1) * Double($1.1) }
    #expect(abs(numeric - Double(dx.storage[7])) < 1e-3)
  }

  @Test func penaltyIsZeroAtTheTargetAndMIsNotDecayed() {
    let l = LearnableChannelDropout(channels: 4, rate: 0.2, stream: 1)
    // Initialised at logit(rate): mean σ(M) = rate, no penalty, no gradient.
    l.logits.zeroGrad()
    #expect(abs(l.addLoss(training(step: 0))) < 1e-12)
    #expect(l.logits.grad.storage.allSatisfy { abs($0) < 1e-9 })
    #expect(!l.logits.decays)
    let before = l.logits.value
    SGD(momentum: 0, weightDecay: 0.5).step([l.logits], lr: 0.1)
    #expect(l.logits.value == before, "weight decay moved M")
  }

  /// Training M alone with the penalty from a far-off start brings the mean drop probability back to its target.
  @Test func thePenaltyHoldsTheRateNearItsTarget() {
    let l = LearnableChannelDropout(channels: 6, rate: 0.25, temperature: 0.5, penalty: 5, stream: 2)
    for k in 0..<36 { l.logits.value.storage[k] = 1.5 }  // σ = 0.82
    let x = uniformTensor([4, 3, 3, 6], seed: 8, low: 0.5, high: 1.5)
    let optimizer = SGD(momentum: 0.9)
    for step in 0..<600 {
      l.logits.zeroGrad()
      let context = training(step: step)
      _ = l.forward(x, context)
      _ = l.backward(Tensor(shape: x.shape))  // no task gradient: the penalty alone
      _ = l.addLoss(context)
      optimizer.step([l.logits], lr: 5)
    }
    let probabilities: [Double] = l.logits.value.storage.map { v in 1 / (1 + exp(-Double(v))) }
    let mean = probabilities.reduce(0, +) / 36
    #expect(abs(mean - 0.25) < 0.02, "mean drop probability \(mean)")
  }

  @Test func dropsFollowTheSeedRowAndEvaluationIsTheIdentity() {
    let l = LearnableChannelDropout(channels: 4, rate: 0.5, temperature: 0.05, stream: 3)
    // Row 0 ties channels 0 and 1 (p ≈ 1), row 2 ties 2 and 3; the rest p ≈ 0.
    var m = [Float](repeating: -12, count: 16)
    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)] { m[i * 4 + j] = 12 }
    l.logits.value = Tensor(shape: [4, 4], storage: m)
    let x = uniformTensor([1, 2, 2, 4], seed: 9, low: 0.5, high: 1.5)
    var groups = Set<[Int]>()
    for step in 0..<100 {
      let y = l.forward(x, training(step: step))
      groups.insert((0..<4).filter { ch in abs(y.storage[ch]) < 1e-3 * x.storage[ch] })
    }
    #expect(groups == [[0, 1], [2, 3]])
    #expect(l.forward(x, .evaluation) == x)
  }
}

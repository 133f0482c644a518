import Tensor
import Testing

@testable import NN

@Suite struct LinearTests {
  let key = RandomKey(seed: 21)

  @Test func forwardMatchesDirectSum() {
    let layer = Linear(inFeatures: 7, outFeatures: 3, key: key.fold(0))
    layer.bias.value = .normal([3], key: key.fold(1))
    let x = Tensor.normal([5, 7], key: key.fold(2))
    let y = layer.forward(x, .evaluation)
    #expect(y.shape == [5, 3])
    for n in 0..<5 {
      for u in 0..<3 {
        var expected = Double(layer.bias.value.storage[u])
        for i in 0..<7 { expected += Double(x.storage[n * 7 + i]) * Double(layer.weight.value.storage[u * 7 + i]) }
        #expect(abs(Double(y.storage[n * 3 + u]) - expected) <= 1e-5 * (1 + abs(expected)))
      }
    }
  }

  @Test func heInitialisation() {
    let layer = Linear(inFeatures: 200, outFeatures: 100, key: key.fold(3))
    let w = layer.weight.value.storage.map(Double.init)
    let variance = w.reduce(0) { $0 + $1 * $1 } / Double(w.count)
    // He-normal: variance 2/fan_in = 0.01; 2·10⁴ draws give a relative standard error of 1 %.
    #expect(abs(variance - 0.01) <= 0.0006)
    #expect(layer.bias.value.storage.allSatisfy { $0 == 0 })
    #expect(layer.weight.isUnitWeights && !layer.bias.isUnitWeights)
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2 (the layer is linear in x and θ).
  @Test func gradients() {
    let layer = Linear(inFeatures: 9, outFeatures: 4, key: key.fold(4))
    layer.bias.value = .normal([4], key: key.fold(5))
    let r = GradientCheck(parameterSamples: 12).check(
      layer, input: .normal([3, 9], key: key.fold(6)), key: key.fold(7))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func parameterGradientsAccumulate() {
    let layer = Linear(inFeatures: 3, outFeatures: 2, key: key.fold(8))
    let x = Tensor.normal([4, 3], key: key.fold(9))
    let dy = Tensor.normal([4, 2], key: key.fold(10))
    _ = layer.forward(x, StepContext(mode: .train, key: key))
    _ = layer.backward(dy)
    let once = layer.weight.grad
    _ = layer.backward(dy)
    for i in 0..<once.count { #expect(abs(layer.weight.grad.storage[i] - 2 * once.storage[i]) <= 1e-6) }
    layer.weight.zeroGrad()
    #expect(layer.weight.grad.storage.allSatisfy { $0 == 0 })
  }

  // A first layer skips its input gradient; its parameter gradients are unchanged.
  @Test func skippingTheInputGradient() {
    let x = Tensor.normal([4, 3], key: key.fold(11))
    let dy = Tensor.normal([4, 2], key: key.fold(12))
    let full = Linear(inFeatures: 3, outFeatures: 2, key: key.fold(13))
    let skipping = Linear(inFeatures: 3, outFeatures: 2, key: key.fold(13))
    skipping.computesInputGradient = false
    let train = StepContext(mode: .train, key: key)
    _ = full.forward(x, train)
    _ = skipping.forward(x, train)
    #expect(full.backward(dy).shape == [4, 3])
    #expect(skipping.backward(dy).count == 0)
    #expect(full.weight.grad == skipping.weight.grad && full.bias.grad == skipping.bias.grad)
  }
}

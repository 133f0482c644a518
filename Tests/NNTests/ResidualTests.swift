import Tensor
import Testing

@testable import NN

@Suite struct ResidualTests {
  let key = RandomKey(seed: 71)

  /// BN makes every conv–BN–ReLU pre-activation straddle zero, and BN couples every unit to every input, so some
  /// perturbations cross a kink: those coordinates are skipped (at most a third of them); the rest must agree to
  /// 1e-2 relative with h = 5e-3. The floor is 1e-2: Float rounding in the deeper forward pass leaves ~1e-6 of
  /// noise in f, ~1e-4 in the differences.
  func kinkAwareCheck(samples: Int) -> GradientCheck {
    GradientCheck(step: 5e-3, floor: 1e-2, inputSamples: samples, parameterSamples: 6, skipKinks: true)
  }

  @Test func identityBlockGradients() {
    let block = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key.fold(0))
    #expect(block.shortcut == nil)
    let check = kinkAwareCheck(samples: 40)
    let r = check.check(block, input: .normal([2, 5, 5, 3], key: key.fold(1)), key: key.fold(2))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(r.skipped * 3 <= r.checked + r.skipped, "\(r)")
  }

  @Test func projectionBlockGradients() {
    let block = BasicBlock(inChannels: 2, outChannels: 4, stride: 2, key: key.fold(3))
    #expect(block.shortcut != nil)
    let r = kinkAwareCheck(samples: 40).check(block, input: .normal([2, 6, 5, 2], key: key.fold(4)), key: key.fold(5))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(r.skipped * 3 <= r.checked + r.skipped, "\(r)")
  }

  @Test func blockShapes() {
    let x = Tensor.normal([2, 7, 7, 3], key: key.fold(6))
    #expect(
      BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key).forward(x, .evaluation).shape == [2, 7, 7, 3])
    #expect(
      BasicBlock(inChannels: 3, outChannels: 5, stride: 1, key: key).forward(x, .evaluation).shape == [2, 7, 7, 5])
    #expect(
      BasicBlock(inChannels: 3, outChannels: 5, stride: 2, key: key).forward(x, .evaluation).shape == [2, 4, 4, 5])
    #expect(BasicBlock(inChannels: 3, outChannels: 5, stride: 2, key: key).parameters.count == 2 + 4 + 3)
  }

  @Test func upsampleRepeatsEachPixel() {
    let x = Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4])
    let y = Upsample2x().forward(x, .evaluation)
    #expect(y.shape == [1, 2, 4, 2])
    #expect(y.storage == [1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4])
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2 (linear).
  @Test func upsampleGradient() {
    let r = GradientCheck(inputSamples: 40).check(
      Upsample2x(), input: .normal([2, 3, 4, 3], key: key.fold(7)), key: key.fold(8))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func channelConcatAndSplitAreInverse() {
    let a = Tensor.normal([2, 3, 4, 2], key: key.fold(9))
    let b = Tensor.normal([2, 3, 4, 3], key: key.fold(10))
    let c = ChannelConcat.concat(a, b)
    #expect(c.shape == [2, 3, 4, 5])
    for p in 0..<24 {
      #expect(Array(c.storage[(p * 5)..<(p * 5 + 2)]) == Array(a.storage[(p * 2)..<(p * 2 + 2)]))
      #expect(Array(c.storage[(p * 5 + 2)..<(p * 5 + 5)]) == Array(b.storage[(p * 3)..<(p * 3 + 3)]))
    }
    let (a2, b2) = ChannelConcat.split(c, first: 2)
    #expect(a2 == a && b2 == b)
  }
}

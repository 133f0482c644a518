import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct DropoutTests {
  /// The mask compares integers (the draw's 24 bits against ⌈Float(rate)·2²⁴⌉); it must be exactly the rule on the
  /// float uniforms, "dropped when u < Float(rate)", that every stored result was made with — rates that are and are
  /// not representable, tiny and near one, a scaled mask too.
  @Test(arguments: [0.1, 0.5, 1.0 / 3, 0.9, 0.999_999, 1e-7, 0x1p-24, 0.7])
  func integerThresholdIsTheFloatUniformsRule(_ rate: Double) {
    let key = RandomKey(seed: 5).fold(3)
    let count = 50_003
    let reference = key.uniforms(count).map { $0 < Float(rate) ? Float(0) : 1 }
    #expect(Dropout.mask(count: count, rate: rate, key: key) == reference)
    let scale = Dropout.keepScale(rate: rate)
    #expect(Dropout.mask(count: count, rate: rate, key: key, kept: scale) == reference.map { $0 * scale })
  }

  /// `fillMask` from draw `offset` is that segment of the whole mask, for offsets inside a block, on a block
  /// boundary and past a chunk of the stream (DropConnect's per-sample masks start at n·|W|).
  @Test(arguments: [(1, 9), (3, 4_100), (4, 33), (4_097, 8_200), (6, 0)])
  func maskFromAnOffsetIsThatSegment(_ offset: Int, _ count: Int) {
    let key = RandomKey(seed: 6).fold(2)
    let (below, scale) = (Dropout.dropBelow(rate: 0.3), Dropout.keepScale(rate: 0.3))
    let whole = Dropout.mask(count: offset + count, rate: 0.3, key: key, kept: scale)
    var segment = [Float](repeating: .nan, count: count)
    segment.withUnsafeMutableBufferPointer { Dropout.fillMask($0, below: below, kept: scale, key: key, offset: offset) }
    #expect(segment == Array(whole[offset...]))
  }

  @Test func shapeKeptAndIdentityInEvalAndAtRateZero() {
    let x = normalTensor([4, 5, 6, 3], seed: 1)
    let dy = normalTensor([4, 5, 6, 3], seed: 2)
    let layer = Dropout(rate: 0.5)
    let y = layer.forward(x, training())
    #expect(y.shape == x.shape)
    #expect(layer.forward(x, .evaluation) == x)
    #expect(layer.backward(dy) == dy)
    let none = Dropout(rate: 0)
    #expect(none.forward(x, training()) == x)
    #expect(none.backward(dy) == dy)
  }

  /// 32×16×28×28 units (401 408): the standard error of the fraction is ≤ 0.0008, so 0.01 is > 12 σ.
  @Test(arguments: [0.1, 0.3, 0.5, 0.8])
  func droppedFractionMatchesRate(rate: Double) {
    let x = Tensor(shape: [32, 28, 28, 16], repeating: 1)
    let y = Dropout(rate: rate).forward(x, training(seed: 123))
    #expect(abs(zeroFraction(y) - rate) < 0.01)
  }

  @Test func keptValuesAreExactlyScaledAndBackwardPassesTheMask() {
    let rate = 0.3
    let x = normalTensor([8, 7, 7, 4], seed: 3)
    let dy = normalTensor([8, 7, 7, 4], seed: 4)
    let layer = Dropout(rate: rate)
    let y = layer.forward(x, training())
    let dx = layer.backward(dy)
    let scale = Dropout.keepScale(rate: rate)
    let mask = Dropout.mask(count: x.count, rate: rate, key: training().key.fold(0))
    for i in 0..<x.count {
      #expect(y.storage[i] == x.storage[i] * mask[i] * scale)
      #expect(dx.storage[i] == dy.storage[i] * mask[i] * scale)
    }
    #expect(Set(mask) == [0, 1])
  }

  @Test func sameKeySameMaskAndStepsOrSitesDiffer() {
    let x = Tensor(shape: [2, 8, 8, 4], repeating: 1)
    let a = Dropout(rate: 0.5, stream: 2)
    let b = Dropout(rate: 0.5, stream: 2)
    #expect(a.forward(x, training(step: 5)) == b.forward(x, training(step: 5)))
    #expect(a.forward(x, training(step: 5)) != a.forward(x, training(step: 6)))
    #expect(a.forward(x, training(step: 5)) != Dropout(rate: 0.5, stream: 3).forward(x, training(step: 5)))
  }
}

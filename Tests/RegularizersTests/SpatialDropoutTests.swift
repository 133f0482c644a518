import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct SpatialDropoutTests {
  @Test func identityInEvalAndAtRateZero() {
    let x = normalTensor([4, 5, 6, 3], seed: 1)
    #expect(SpatialDropout(rate: 0.4).forward(x, .evaluation) == x)
    let none = SpatialDropout(rate: 0)
    #expect(none.forward(x, training()) == x)
    #expect(none.backward(x) == x)
  }

  @Test func masksAreConstantOverSpaceAndKeptValuesScaled() {
    let (n, h, w, c) = (6, 5, 7, 9)
    let rate = 0.4
    let x = normalTensor([n, h, w, c], seed: 5)
    let dy = normalTensor([n, h, w, c], seed: 6)
    let layer = SpatialDropout(rate: rate)
    let y = layer.forward(x, training())
    let dx = layer.backward(dy)
    let mask = SpatialDropout.mask(batch: n, channels: c, rate: rate, key: training().key.fold(0))
    let scale = Dropout.keepScale(rate: rate)
    for s in 0..<n {
      for ch in 0..<c {
        let factor = mask[s * c + ch] * scale
        for i in 0..<h {
          for j in 0..<w {
            let at = nhwc(s, i, j, ch, h: h, w: w, channels: c)
            #expect(y.storage[at] == x.storage[at] * factor)
            #expect(dx.storage[at] == dy.storage[at] * factor)
          }
        }
      }
    }
    #expect(Set(mask) == [0, 1])
  }

  /// 4096 × 64 channel draws: standard error ≤ 0.001.
  @Test(arguments: [0.1, 0.5])
  func droppedChannelFractionMatchesRate(rate: Double) {
    let mask = SpatialDropout.mask(batch: 4096, channels: 64, rate: rate, key: RandomKey(seed: 9))
    #expect(abs(zeroFraction(mask) - rate) < 0.01)
  }

  @Test func onVectorsItIsElementDropout() {
    let x = normalTensor([16, 40], seed: 8)
    let context = training(step: 3)
    #expect(SpatialDropout(rate: 0.3).forward(x, context) == Dropout(rate: 0.3).forward(x, context))
  }
}

import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct DropBlockTests {
  @Test func shapeKeptAndIdentityInEvalAtRateZeroAndAtScheduleStart() {
    let x = normalTensor([4, 9, 9, 3], seed: 1)
    let dy = normalTensor([4, 9, 9, 3], seed: 2)
    let layer = DropBlock(rate: 0.2, blockSize: 3)
    #expect(layer.forward(x, training()).shape == x.shape)
    #expect(layer.forward(x, .evaluation) == x)
    #expect(layer.backward(dy) == dy)
    #expect(DropBlock(rate: 0, blockSize: 3).forward(x, training()) == x)
    let linear = DropBlock(rate: 0.2, blockSize: 3, schedule: .linear)
    #expect(linear.forward(x, training(progress: 0)) == x)
    #expect(linear.backward(dy) == dy)
  }

  /// The realised drop fraction against its exact expectation: a unit covered by `a·b` valid centres (a rows, b
  /// columns of centres whose block contains it) is dropped with probability 1 − (1 − γ)^(a·b). Each block drops
  /// bs² units at once, so the spread is that of the seed count: 8192 channel maps give ≥ 3000 seeds and a
  /// relative standard error ≤ 1.8%; tolerance 7% relative (≈ 4 σ).
  @Test(arguments: [(3, 14), (5, 14), (7, 14), (3, 28), (5, 28), (7, 28), (4, 14), (6, 28)])
  func droppedFractionMatchesItsExpectation(blockSize bs: Int, side: Int) {
    func centres(covering i: Int) -> Int {
      (0..<(side - bs + 1)).filter { top in (top..<top + bs).contains(i) }.count
    }
    for rate in [0.1, 0.2] {
      let gamma = DropBlock.gamma(rate: rate, blockSize: bs, height: side, width: side)
      var expected = 0.0
      for i in 0..<side {
        for j in 0..<side { expected += 1 - pow(1 - gamma, Double(centres(covering: i) * centres(covering: j))) }
      }
      expected /= Double(side * side)
      for (shared, shape) in [(false, [512, side, side, 16]), (true, [8192, side, side, 2])] {
        let mask = DropBlock.mask(shape: shape, rate: rate, blockSize: bs, shared: shared, key: RandomKey(seed: 11))
        let observed = zeroFraction(mask)
        #expect(abs(observed - expected) / expected < 0.07, "bs \(bs) side \(side) rate \(rate): \(observed)")
      }
    }
  }

  /// torchvision's tolerance (15% relative to the target rate) at rate 0.1. The paper's γ ignores overlaps and the
  /// border cells that fewer centres cover, so the realised rate sits below the target; at rate 0.2 with bs 7 on
  /// 14 × 14 it is 0.167 (−16%), outside the band, which is why this check stays at 0.1.
  @Test(arguments: [(3, 14), (5, 14), (7, 14), (3, 28), (5, 28), (7, 28)])
  func droppedFractionNearTargetRate(blockSize bs: Int, side: Int) {
    let mask = DropBlock.mask(
      shape: [512, side, side, 16], rate: 0.1, blockSize: bs, shared: false, key: RandomKey(seed: 12))
    #expect(abs(zeroFraction(mask) - 0.1) / 0.1 < 0.15)
  }

  /// The zeros of a mask are exactly the union of the all-zero bs × bs squares anchored at valid centres.
  @Test(arguments: [1, 2, 3, 4, 5])
  func masksAreMadeOfWholeBlocksAtValidCentres(blockSize bs: Int) {
    let (n, h, w, c) = (3, 9, 11, 4)
    for shared in [false, true] {
      let mask = DropBlock.mask(shape: [n, h, w, c], rate: 0.3, blockSize: bs, shared: shared, key: RandomKey(seed: 3))
      var covered = [Bool](repeating: false, count: mask.count)
      let offset = DropBlock.anchorOffset(blockSize: bs)
      for s in 0..<n {
        for ch in 0..<c {
          for ci in offset..<(h - bs + 1 + offset) {
            for cj in offset..<(w - bs + 1 + offset) {
              let cells = (ci - offset..<ci - offset + bs).flatMap { i in
                (cj - offset..<cj - offset + bs).map { j in nhwc(s, i, j, ch, h: h, w: w, channels: c) }
              }
              if cells.allSatisfy({ mask[$0] == 0 }) { for cell in cells { covered[cell] = true } }
            }
          }
        }
      }
      for i in mask.indices { #expect((mask[i] == 0) == covered[i]) }
      #expect(zeroFraction(mask) > 0)
    }
  }

  @Test func sharedMasksAgreeAcrossChannelsAndPerChannelMasksDoNot() {
    let (n, h, w, c) = (4, 10, 10, 8)
    let shared = DropBlock.mask(shape: [n, h, w, c], rate: 0.3, blockSize: 3, shared: true, key: RandomKey(seed: 4))
    let separate = DropBlock.mask(shape: [n, h, w, c], rate: 0.3, blockSize: 3, shared: false, key: RandomKey(seed: 4))
    var separateDisagree = false
    for pixel in 0..<(n * h * w) {
      let a = shared[(pixel * c)..<((pixel + 1) * c)]
      #expect(Set(a).count == 1)
      if Set(separate[(pixel * c)..<((pixel + 1) * c)]).count > 1 { separateDisagree = true }
    }
    #expect(separateDisagree)
  }

  @Test func linearScheduleReachesTheTargetAtTheEnd() {
    let x = normalTensor([8, 12, 12, 4], seed: 5)
    let fixed = DropBlock(rate: 0.2, blockSize: 3)
    let linear = DropBlock(rate: 0.2, blockSize: 3, schedule: .linear)
    #expect(linear.forward(x, training(progress: 1)) == fixed.forward(x, training(progress: 1)))
    #expect(linear.forward(x, training(progress: 0.5)) == DropBlock(rate: 0.1, blockSize: 3).forward(x, training()))
    #expect(DropBlock.effectiveRate(rate: 0.2, schedule: .linear, progress: 0.25) == 0.05)
    #expect(DropBlock.effectiveRate(rate: 0.2, schedule: .fixed, progress: 0.25) == 0.2)
  }

  /// bs = 1 is Bernoulli(rate) dropout: 64·28·28·16 = 802 816 units, standard error ≤ 0.0006.
  @Test func blockSizeOneIsDropoutRate() {
    for rate in [0.1, 0.5] {
      let mask = DropBlock.mask(
        shape: [64, 28, 28, 16], rate: rate, blockSize: 1, shared: false, key: RandomKey(seed: 6))
      #expect(abs(zeroFraction(mask) - rate) < 0.01)
    }
  }

  /// bs = H = W: one valid centre per channel map, γ = rate, so each map is kept or dropped whole
  /// (4096 maps: standard error 0.005, tolerance 0.02).
  @Test func blockSizeOfTheMapIsAllOrNothing() {
    let (n, side, c) = (256, 7, 16)
    let mask = DropBlock.mask(
      shape: [n, side, side, c], rate: 0.3, blockSize: side, shared: false, key: RandomKey(seed: 7))
    var dropped = 0
    for s in 0..<n {
      for ch in 0..<c {
        let values = Set((0..<(side * side)).map { mask[(s * side * side + $0) * c + ch] })
        #expect(values.count == 1)
        if values == [0] { dropped += 1 }
      }
    }
    #expect(abs(Double(dropped) / Double(n * c) - 0.3) < 0.02)
  }

  @Test func renormalisationKeepsTheMean() {
    let x = uniformTensor([32, 14, 14, 16], seed: 8, low: 0.5, high: 1.5)
    let layer = DropBlock(rate: 0.2, blockSize: 5)
    let y = layer.forward(x, training())
    #expect(abs(y.sum / x.sum - 1) < 0.01)
    let ones = Tensor(shape: [32, 14, 14, 16], repeating: 1)
    #expect(abs(layer.forward(ones, training(step: 1)).sum / Double(ones.count) - 1) < 1e-5)
  }

  @Test func everythingDroppedGivesZerosNotNaN() throws {
    let x = normalTensor([1, 3, 3, 1], seed: 9)
    let layer = DropBlock(rate: 0.999, blockSize: 3)
    let context = training(seed: 1)
    let mask = DropBlock.mask(shape: x.shape, rate: 0.999, blockSize: 3, shared: false, key: context.key.fold(0))
    try #require(mask.allSatisfy { $0 == 0 })
    #expect(DropBlock.renormalisation(mask) == 0)
    let y = layer.forward(x, context)
    #expect(y.storage.allSatisfy { $0 == 0 })
    #expect(layer.backward(x).storage.allSatisfy { $0 == 0 })
  }

  @Test func backwardPassesTheScaledMask() {
    let x = normalTensor([4, 10, 10, 6], seed: 10)
    let dy = normalTensor([4, 10, 10, 6], seed: 11)
    let layer = DropBlock(rate: 0.25, blockSize: 3)
    let context = training(step: 2)
    let y = layer.forward(x, context)
    let dx = layer.backward(dy)
    let mask = DropBlock.mask(shape: x.shape, rate: 0.25, blockSize: 3, shared: false, key: context.key.fold(0))
    let scale = DropBlock.renormalisation(mask)
    #expect(scale > 1)
    for i in 0..<x.count {
      #expect(y.storage[i] == x.storage[i] * (mask[i] * scale))
      #expect(dx.storage[i] == dy.storage[i] * (mask[i] * scale))
    }
  }

  @Test func sameKeySameMaskAndDifferentStepsDiffer() {
    let shape = [2, 14, 14, 8]
    let a = DropBlock.mask(shape: shape, rate: 0.2, blockSize: 3, shared: false, key: training(step: 1).key)
    let b = DropBlock.mask(shape: shape, rate: 0.2, blockSize: 3, shared: false, key: training(step: 1).key)
    let c = DropBlock.mask(shape: shape, rate: 0.2, blockSize: 3, shared: false, key: training(step: 2).key)
    #expect(a == b)
    #expect(a != c)
  }

  @Test func gammaFollowsThePaperForNonSquareMaps() {
    let gamma = DropBlock.gamma(rate: 0.1, blockSize: 3, height: 10, width: 6)
    #expect(abs(gamma - 0.1 / 9 * 60 / (8 * 4)) < 1e-15)
    #expect(DropBlock.anchorOffset(blockSize: 4) == 1)
    #expect(DropBlock.anchorOffset(blockSize: 5) == 2)
  }

  /// Forward + backward cost at the ResNet-8 sites (batch 128). Printed for the record; in optimised builds the bound
  /// (≈ 30× the measured 0.6 ms) only catches gross regressions: the budget is ≤ 10% of a ≈ 250 ms training step.
  @Test func costAtResNetSites() {
    for shape in [[128, 14, 14, 32], [128, 7, 7, 64]] {
      let x = normalTensor(shape, seed: 12)
      let layer = DropBlock(rate: 0.1, blockSize: min(7, shape[1]))
      let clock = ContinuousClock()
      var best = Duration.seconds(1000)
      for step in 0..<10 {
        let elapsed = clock.measure {
          let y = layer.forward(x, training(step: step))
          _ = layer.backward(y)
        }
        best = min(best, elapsed)
      }
      print("DropBlock forward+backward \(shape): best of 10 \(best)")
      #if !DEBUG
        #expect(best < .milliseconds(20))
      #endif
    }
  }
}

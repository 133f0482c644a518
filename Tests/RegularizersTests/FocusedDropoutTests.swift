import NN
import Tensor
import Testing

@testable import Regularizers

/// FocusedDropout: the reference channel is the GAP argmax, positions above γ·peak of it are kept in every channel,
/// the rest dropped, only in about `batch_fraction` of the steps, no rescaling, dead maps untouched.
@Suite struct FocusedDropoutTests {
  @Test func referenceChannelIsTheGlobalAveragePoolingArgmax() {
    // Two positions, three channels: means 0.5, 2, 1.5 → channel 1.
    let x = Tensor(shape: [1, 1, 2, 3], storage: [1, 0, 3, 0, 4, 0])
    x.withUnsafeBufferPointer { xs in
      #expect(FocusedDropout.referenceChannel(xs, offset: 0, positions: 2, c: 3) == 1)
    }
  }

  /// A map whose reference channel has values 0…15 over 16 positions (peak 15): with γ fixed at 0.5 the kept
  /// positions are exactly those above 7.5, in every channel, unscaled.
  @Test func keepsThePositionsAboveTheThresholdInEveryChannel() {
    var x = Tensor(shape: [1, 4, 4, 3])
    for p in 0..<16 {
      x.storage[p * 3 + 0] = 1  // mean 1
      x.storage[p * 3 + 1] = Float(p)  // mean 7.5: the reference
      x.storage[p * 3 + 2] = 2  // mean 2
    }
    let layer = FocusedDropout(batchFraction: 1, low: 0.5, high: 0.5, stream: 1)
    let y = layer.forward(x, training(step: 3))
    for p in 0..<16 {
      for ch in 0..<3 {
        let expected = p > 7 ? x.storage[p * 3 + ch] : 0
        #expect(y.storage[p * 3 + ch] == expected, "position \(p) channel \(ch)")
      }
    }
    #expect(layer.forward(x, .evaluation) == x)
  }

  @Test func actsInTheStatedFractionOfStepsWithThresholdsInRange() {
    let layer = FocusedDropout(batchFraction: 0.1, low: 0.3, high: 0.6, stream: 2)
    let x = uniformTensor([2, 8, 8, 4], seed: 4, low: 0.1, high: 1.1)
    var acted = 0
    let steps = 4000
    for step in 0..<steps {
      let y = layer.forward(x, training(step: step))
      guard y != x else { continue }
      acted += 1
      // Kept fraction of the reference channel's positions: those above γ·peak with γ in [0.3, 0.6].
      for s in 0..<2 {
        let ref = (0..<4).max { a, b in
          (0..<64).reduce(0) { $0 + x.storage[(s * 64 + $1) * 4 + a] } < (0..<64).reduce(0) { $0 + x.storage[(s * 64 + $1) * 4 + b] }
        }!
        let values = (0..<64).map { x.storage[(s * 64 + $0) * 4 + ref] }
        let peak = values.max()!
        let kept = (0..<64).filter { y.storage[(s * 64 + $0) * 4 + ref] != 0 }.map { values[$0] }
        #expect(!kept.isEmpty && kept.min()! > 0.3 * peak)
        let dropped = (0..<64).filter { y.storage[(s * 64 + $0) * 4 + ref] == 0 }.map { values[$0] }
        #expect(dropped.allSatisfy { $0 <= 0.6 * peak + 1e-6 })
      }
    }
    let fraction = Double(acted) / Double(steps)
    #expect(abs(fraction - 0.1) < 4 * (0.1 * 0.9 / Double(steps)).squareRoot(), "acted in \(fraction)")
  }

  @Test func deadMapsAreLeftAloneAndZeroFractionIsTheIdentity() {
    let layer = FocusedDropout(batchFraction: 1, low: 0.3, high: 0.6, stream: 3)
    let negative = Tensor(shape: [1, 3, 3, 2], storage: Array(repeating: -1, count: 18))
    #expect(layer.forward(negative, training(step: 1)) == negative)
    let x = uniformTensor([1, 3, 3, 2], seed: 2)
    #expect(FocusedDropout(batchFraction: 0, low: 0.3, high: 0.6).forward(x, training(step: 1)) == x)
    #expect(FocusedDropout.descriptor.validate(["low": .double(0.7), "high": .double(0.4)], Site(name: "m", shape: [4, 4, 2], stream: 0)) != nil)
  }
}

import NN
import Tensor
import Testing

@testable import Regularizers

/// NSDropout: drops exactly the units built to differ between training and validation, keeps the last mask for
/// testing, learns nothing from plain evaluation passes, and is the identity until an epoch with validation data
/// has ended.
@Suite struct NSDropoutTests {
  static let probe = StepContext.evaluation(EvaluationSettings(validationProbe: true))

  /// Two classes, 8 units. Units 2 and 5 respond differently on training and validation samples; the rest alike.
  func epoch(_ layer: NSDropout, differing: Set<Int> = [2, 5], step: Int = 0) {
    let labels: [Int32] = [0, 1, 0, 1]
    func rows(_ validation: Bool) -> Tensor {
      var x = Tensor(shape: [4, 8])
      for n in 0..<4 {
        for u in 0..<8 {
          var v = Float(labels[n] + 1) * 0.5 + Float(u) * 0.1
          if validation && differing.contains(u) { v += 2 }
          x.storage[n * 8 + u] = v
        }
      }
      return x
    }
    _ = layer.transform(
      Batch(images: Tensor(shape: [4, 1, 1, 1]), targets: .labels(labels), indices: [0, 1, 2, 3]), training(step: step))
    _ = layer.forward(rows(false), training(step: step))
    layer.validationBatch(Batch(images: Tensor(shape: [4, 1, 1, 1]), targets: .labels(labels), indices: [0, 1, 2, 3]))
    _ = layer.forward(rows(true), Self.probe)
  }

  @Test func dropsExactlyTheUnitsBuiltToDiffer() {
    let layer = NSDropout(units: 8, rate: 0.25)
    let x = uniformTensor([3, 8], seed: 1, low: 0.5, high: 1.5)
    #expect(layer.forward(x, training(step: 0)) == x)  // nothing dropped before the first epoch ends
    epoch(layer)
    #expect(layer.mask == [1, 1, 1, 1, 1, 1, 1, 1])  // not yet: the mask changes at the epoch end
    layer.epochEnd(0)
    #expect(layer.mask == [1, 1, 0, 1, 1, 0, 1, 1])
    let y = layer.forward(x, training(step: 1))
    for n in 0..<3 {
      for u in 0..<8 { #expect(y.storage[n * 8 + u] == ([2, 5].contains(u) ? 0 : x.storage[n * 8 + u])) }
    }
  }

  @Test func theTestTimeMaskIsTheLastTrainingMaskAndEvaluationTeachesNothing() {
    let layer = NSDropout(units: 8, rate: 0.25)
    epoch(layer)
    layer.epochEnd(0)
    let x = uniformTensor([2, 8], seed: 2, low: 0.5, high: 1.5)
    // Test-time forward: the same mask, unscaled.
    let evaluated = layer.forward(x, .evaluation)
    #expect((0..<16).allSatisfy { evaluated.storage[$0] == ([2, 5].contains($0 % 8) ? 0 : x.storage[$0]) })
    // An epoch whose statistics point elsewhere (units 0 and 7), with many plain evaluation passes on data that
    // would point to 3 and 4: only the training and probe passes count.
    _ = layer.transform(
      Batch(images: Tensor(shape: [1, 1, 1, 1]), targets: .labels([0]), indices: [0]), training(step: 5))
    var misleading = Tensor(shape: [1, 8])
    misleading.storage[3] = 100
    misleading.storage[4] = 100
    for _ in 0..<5 { _ = layer.forward(misleading, .evaluation) }
    epoch(layer, differing: [0, 7], step: 6)
    layer.epochEnd(1)
    #expect(layer.mask == [0, 1, 1, 1, 1, 1, 1, 0])
  }

  @Test func withoutValidationDataTheMaskStays() {
    let layer = NSDropout(units: 4, rate: 0.5)
    _ = layer.transform(
      Batch(images: Tensor(shape: [1, 1, 1, 1]), targets: .labels([1]), indices: [0]), training(step: 0))
    _ = layer.forward(uniformTensor([1, 4], seed: 3), training(step: 0))
    layer.epochEnd(0)
    #expect(layer.mask == [1, 1, 1, 1])
    #expect(NSDropout.descriptor.needsValidation && layer.observesValidation)
  }
}

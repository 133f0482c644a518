import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct StructuralDropoutTests {
  @Test func cutChoicesAreTheReferenceRange() {
    #expect(StructuralDropout.cutChoices(features: 10, lower: 0.1, step: 1) == Array(1...9))
    #expect(StructuralDropout.cutChoices(features: 10, lower: 0.3, step: 1) == Array(3...9))
    #expect(StructuralDropout.cutChoices(features: 10, lower: 0.25, step: 3) == [3, 6, 9])
    #expect(StructuralDropout.cutChoices(features: 256, lower: 1.0 / 256, step: 1) == Array(1...255))
    #expect(StructuralDropout.cutChoices(features: 10, lower: 0.01, step: 4) == [1, 5, 9])
    #expect(StructuralDropout.cutChoices(features: 10, lower: 1, step: 1).isEmpty)
    #expect(StructuralDropout.cutChoices(features: 1, lower: 0.1, step: 1).isEmpty)
  }

  /// A cut zeroes exactly the features with index ≥ c at every sample and position, and scales the rest by F/c;
  /// the backward pass multiplies by the same factors.
  @Test func aCutZeroesTheTailAndScalesTheHead() throws {
    let (n, h, w, f) = (3, 4, 5, 8)
    let x = normalTensor([n, h, w, f], seed: 1)
    let dy = normalTensor([n, h, w, f], seed: 2)
    let layer = StructuralDropout(rate: 1, lower: 0.125, stream: 3)
    let context = training(step: 4)
    let c = try #require(
      StructuralDropout.cut(features: f, rate: 1, lower: 0.125, step: 1, key: context.key.fold(UInt64(3))))
    #expect((1..<8).contains(c))
    let y = layer.forward(x, context)
    let dx = layer.backward(dy)
    #expect(y.shape == x.shape)
    let scale = Float(8) / Float(c)
    for i in 0..<x.count {
      let factor: Float = i % f < c ? scale : 0
      #expect(y.storage[i] == x.storage[i] * factor)
      #expect(dx.storage[i] == dy.storage[i] * factor)
    }
  }

  @Test func rateZeroLowerOneAndFullWidthEvaluationAreTheIdentity() {
    let x = normalTensor([4, 16], seed: 4)
    let dy = normalTensor([4, 16], seed: 5)
    let zero = StructuralDropout(rate: 0)
    #expect(zero.forward(x, training()) == x)
    #expect(zero.backward(dy) == dy)
    #expect(StructuralDropout(rate: 1, lower: 1).forward(x, training()) == x)
    let layer = StructuralDropout(rate: 1)
    #expect(layer.forward(x, .evaluation) == x)
    #expect(layer.backward(dy) == dy)
  }

  /// Evaluation at width w keeps the first max(1, round(w·F)) features scaled by F/c (round half away from zero).
  @Test(arguments: [(0.5, 10, 5), (0.25, 10, 3), (0.01, 10, 1), (0.96, 10, 10), (0.5, 256, 128)])
  func evaluationAtAWidthKeepsTheFirstFeatures(width: Double, features f: Int, kept: Int) {
    let x = normalTensor([2, f], seed: 6)
    let y = StructuralDropout().forward(x, .evaluation(EvaluationSettings(width: width)))
    let scale = Float(f) / Float(kept)
    for i in 0..<x.count { #expect(y.storage[i] == x.storage[i] * (i % f < kept ? scale : 0)) }
  }

  /// 6000 forwards at rate 0.6 with F = 8, lower 1/8 (c ∈ 1…7): the cut fraction has standard error
  /// √(0.24/6000) = 0.0063 (tolerance 0.03); each c is drawn 6000 · 0.6 / 7 ≈ 514 times, standard deviation ≈ 21
  /// (tolerance 100 ≈ 4.7 σ). The zero fraction matches the exact expectation rate · mean (F − c)/F = 0.3: its
  /// per-forward variance is 0.6 · 20/64 − 0.3² = 0.0975, standard error 0.004, tolerance 0.02 (5 σ).
  @Test func cutsAreUniformOverTheRangeAndTheDropFractionIsExact() {
    let (f, rate, draws) = (8, 0.6, 6000)
    let layer = StructuralDropout(rate: rate, lower: 0.125, stream: 7)
    let x = Tensor(shape: [1, f], repeating: 1)
    var counts = [Int](repeating: 0, count: f + 1)
    var zeros = 0
    for step in 0..<draws {
      let y = layer.forward(x, training(seed: 9, step: step))
      let kept = y.storage.filter { $0 != 0 }.count
      counts[kept] += 1
      zeros += f - kept
    }
    #expect(abs(Double(draws - counts[f]) / Double(draws) - rate) < 0.03)
    for c in 1..<f { #expect(abs(Double(counts[c]) - Double(draws) * rate / 7) < 100, "c = \(c): \(counts[c])") }
    #expect(counts[0] == 0)
    let expected = StructuralDropout.expectedDropFraction(features: f, rate: rate, lower: 0.125, step: 1)
    #expect(abs(expected - rate * 0.5) < 1e-12)
    #expect(abs(Double(zeros) / Double(draws * f) - expected) < 0.02)
  }

  @Test func oneCutForTheWholeBatch() {
    let x = Tensor(shape: [16, 32], repeating: 1)
    for step in 0..<20 {
      let y = StructuralDropout(rate: 1).forward(x, training(step: step))
      let first = Array(y.storage[0..<32])
      for n in 1..<16 { #expect(Array(y.storage[(n * 32)..<((n + 1) * 32)]) == first) }
    }
  }

  @Test func sameKeySameCutAndOtherStreamsOrStepsDiffer() {
    func cuts(_ stream: UInt64, _ steps: Range<Int>) -> [Int?] {
      steps.map {
        StructuralDropout.cut(features: 64, rate: 0.5, lower: 0.1, step: 1, key: training(step: $0).key.fold(stream))
      }
    }
    let x = normalTensor([2, 64], seed: 10)
    #expect(
      StructuralDropout(stream: 1).forward(x, training(step: 2))
        == StructuralDropout(stream: 1).forward(x, training(step: 2)))
    #expect(cuts(1, 0..<32) == cuts(1, 0..<32))
    #expect(cuts(1, 0..<32) != cuts(2, 0..<32))
    #expect(cuts(1, 0..<32) != cuts(1, 32..<64))
  }

  @Test(arguments: [
    ([256], [String: ConfigValue]()), ([14, 14, 32], [:]), ([256], ["rate": .double(1), "step": .int(16)]),
    ([128], ["lower": .double(0.5), "rate": .double(0.2)]), ([256], ["rate": .double(0)]),
  ])
  func conformsAtMLPAndFeatureMapSites(shape: [Int], params: [String: ConfigValue]) {
    let site = Site(name: "hidden1", shape: shape, stream: 1)
    let results = Conformance.check(StructuralDropout.descriptor, params, at: site)
    #expect(conforms(results), "\(results)")
  }

  /// A planted mistake: scaling the kept features by c/F instead of F/c is caught by the renormalisation check.
  @Test func conformanceCatchesAnInvertedRescale() {
    final class Inverted: MaskLayer {
      override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
        let f = shape.last!
        guard context.mode == .train,
          let c = StructuralDropout.cut(features: f, rate: 0.5, lower: 0.1, step: 1, key: key)
        else { return nil }
        let row = (0..<f).map { $0 < c ? Float(c) / Float(f) : 0 }
        return .perChannel(Array([[Float]](repeating: row, count: shape[0]).joined()), channels: f)
      }
    }
    let real = StructuralDropout.descriptor
    let planted = RegularizerDescriptor(
      name: "structural-dropout-inverted", taxonomy: .architecture, summary: "planted", citation: "test",
      parameters: real.parameters, plugsInto: .activation, expectations: real.expectations,
      build: { _, site in .layer(Inverted(stream: site.stream)) })
    let site = Site(name: "hidden1", shape: [64], stream: 1)
    let failed = Conformance.check(planted, [:], at: site).filter { !$0.passed }.map(\.property)
    #expect(failed == ["kept values renormalised by count / kept"])
  }

  @Test(arguments: [
    ["rate": ConfigValue.double(1.5)], ["lower": .double(0)], ["lower": .double(1.1)], ["step": .int(0)],
  ])
  func validationRejectsWithASentence(params: [String: ConfigValue]) throws {
    let message = try #require(
      StructuralDropout.descriptor.validate(params, Site(name: "fc1", shape: [128], stream: 3)))
    #expect(message.hasPrefix("structural-dropout"), "\(message)")
  }
}

import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

/// The gate catches the mistakes it exists for: planted into copies of real methods, each is named as a failing
/// property.
@Suite struct ConformanceTests {
  /// Dropout whose kept units are scaled by 1/p (the retention's inverse taken as the drop rate's) instead of 1/(1 − p).
  final class MisScaledDropout: MaskLayer {
    let rate: Double
    init(rate: Double, stream: UInt64) {
      self.rate = rate
      super.init(stream: stream)
    }
    override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
      guard context.mode == .train else { return nil }
      var m = Dropout.mask(count: shape.reduce(1, *), rate: rate, key: key)
      m.withUnsafeMutableBufferPointer { Elementwise.scale(Float(1 / rate), $0) }
      return .elementwise(m)
    }
  }

  /// DropBlock whose seed rate γ lacks the valid-region factor HW/((H − bs + 1)(W − bs + 1)).
  final class NoValidRegionDropBlock: MaskLayer {
    let rate: Double
    let blockSize: Int
    init(rate: Double, blockSize: Int, stream: UInt64) {
      self.rate = rate
      self.blockSize = blockSize
      super.init(stream: stream)
    }
    override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
      guard context.mode == .train else { return nil }
      let (h, w, bs) = (shape[1], shape[2], blockSize)
      // DropBlock.mask multiplies by the factor; passing the rate divided by it leaves γ = rate / bs² exactly.
      let withoutFactor = rate * Double((h - bs + 1) * (w - bs + 1)) / Double(h * w)
      var m = DropBlock.mask(shape: shape, rate: withoutFactor, blockSize: bs, shared: false, key: key)
      let scale = DropBlock.renormalisation(m)
      m.withUnsafeMutableBufferPointer { Elementwise.scale(scale, $0) }
      return .elementwise(m)
    }
  }

  /// A copy of `real` whose plug is built by `build` instead: same parameters, same declared expectations.
  static func planted(_ real: RegularizerDescriptor, build: @escaping @Sendable ([String: ConfigValue], Site) -> Plug)
    -> RegularizerDescriptor
  {
    RegularizerDescriptor(
      name: real.name, taxonomy: real.taxonomy, summary: real.summary, citation: real.citation,
      parameters: real.parameters, plugsInto: real.plugPoint, expectations: real.expectations, build: build)
  }

  static let site = Site(name: "stage2", shape: [14, 14, 16], stream: 3)

  @Test func dropoutScaledByTheWrongProbabilityIsCaught() {
    let real = RegularizerRegistry.descriptor("dropout")!
    let params: [String: ConfigValue] = ["rate": .double(0.3)]
    #expect(Conformance.failures(Conformance.check(real, params, at: Self.site)) == nil)
    let broken = Self.planted(real) { p, s in .layer(MisScaledDropout(rate: p["rate"]!.asDouble!, stream: s.stream)) }
    let failed = Conformance.check(broken, params, at: Self.site).filter { !$0.passed }.map(\.property)
    #expect(failed == ["kept values scaled by 1.4286"])
  }

  @Test func dropBlockWithoutTheValidRegionFactorIsCaught() {
    let real = RegularizerRegistry.descriptor("dropblock")!
    let params: [String: ConfigValue] = ["rate": .double(0.1), "block_size": .int(5)]
    #expect(Conformance.failures(Conformance.check(real, params, at: Self.site)) == nil)
    let broken = Self.planted(real) { p, s in
      .layer(NoValidRegionDropBlock(rate: p["rate"]!.asDouble!, blockSize: p["block_size"]!.asInt!, stream: s.stream))
    }
    let failed = Conformance.check(broken, params, at: Self.site).filter { !$0.passed }
    #expect(failed.count == 1 && failed[0].property.hasPrefix("drop fraction"), "\(failed.map(\.property))")
  }

  /// A method that drops single units where it declares whole channels fails the structure property.
  @Test func elementMasksDeclaredAsChannelsAreCaught() {
    let real = RegularizerRegistry.descriptor("spatial-dropout")!
    let broken = Self.planted(real) { p, s in .layer(Dropout(rate: p["rate"]!.asDouble!, stream: s.stream)) }
    let failed = Conformance.check(broken, [:], at: Self.site).filter { !$0.passed }.map(\.property)
    #expect(failed == ["whole channels"])
  }

  /// A method that is not the identity at evaluation although it declares it is.
  @Test func trainingRuleAtEvaluationIsCaught() {
    final class AlwaysOn: MaskLayer {
      override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
        var m = Dropout.mask(count: shape.reduce(1, *), rate: 0.5, key: key)
        m.withUnsafeMutableBufferPointer { Elementwise.scale(2, $0) }
        return .elementwise(m)
      }
    }
    let real = RegularizerRegistry.descriptor("dropout")!
    let broken = Self.planted(real) { _, s in .layer(AlwaysOn(stream: s.stream)) }
    let failed = Conformance.check(broken, [:], at: Self.site).filter { !$0.passed }.map(\.property)
    #expect(failed == ["evaluation is the identity"])
  }

  /// The expected DropBlock fraction restated in the descriptor agrees with an exhaustive count on a tiny map.
  @Test func dropBlockExpectationMatchesAnEnumeration() {
    // 4×4 map, bs 3: 4 valid centres, γ = rate/9 · 16/4; each pixel is covered by c(i, j) of them.
    let rate = 0.2
    let gamma = rate / 9 * 16 / 4
    let cover = [1, 2, 2, 1]
    var total = 0.0
    for i in 0..<4 { for j in 0..<4 { total += 1 - Foundation.pow(1 - gamma, Double(cover[i] * cover[j])) } }
    #expect(abs(DropBlock.expectedDropFraction(rate: rate, blockSize: 3, height: 4, width: 4) - total / 16) < 1e-12)
  }
}

import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct GatingDropoutTests {
  /// The MoE model with `descriptor` plugged at every routing site.
  func model(_ params: [String: ConfigValue]?, seed: UInt64 = 4) throws -> Model {
    try ModelRegistry.build(
      ModelRequest(name: "moe", inputShape: [28, 28, 1], classes: 10, key: RandomKey(seed: seed)) { site in
        guard let params, site.kind == .routing else { return nil }
        return GatingDropout.descriptor.make(params, site)
      })
  }

  func traffic(_ model: Model) -> TokenTraffic { model.hooks.compactMap { $0 as? TokenTraffic }[0] }

  /// 4,000 steps at rate 0.3: standard error √(0.21/4000) = 0.0072; tolerance 0.03 (> 4 σ).
  @Test(arguments: [GatingDropout.Variant.gate, .gateExpert])
  func aStepIsDroppedWithTheRate(variant: GatingDropout.Variant) {
    let policy = GatingDropout(rate: 0.3, variant: variant, stream: 5)
    var dropped = 0
    for step in 0..<4000 {
      let decision = policy.decide(training(step: step))
      #expect(decision == .route || decision == (variant == .gate ? .local : .skip))
      if decision != .route { dropped += 1 }
    }
    #expect(abs(Double(dropped) / 4000 - 0.3) < 0.03)
    // The draw is draw 0 of the step key folded with the site's stream.
    for step in 0..<50 {
      let draw = training(step: step).key.fold(UInt64(5)).uniforms(1)[0]
      #expect((policy.decide(training(step: step)) != .route) == (draw < 0.3))
    }
  }

  @Test func evaluationAlwaysRoutes() {
    for variant in GatingDropout.Variant.allCases {
      #expect(GatingDropout(rate: 1, variant: variant).decide(.evaluation) == .route)
    }
  }

  /// Rate 1: every training token stays on its device (zero cross-device tokens); rate 0 and no plug are the same
  /// network bit for bit, and the plain model does send tokens across.
  @Test func rateOneCrossesNothingAndRateZeroIsThePlainModel() throws {
    let x = normalTensor([8, 28, 28, 1], seed: 9)
    let context = training(step: 2)
    let always = try model(["rate": .double(1)])
    _ = always.network.forward(x, context)
    #expect(traffic(always).tokens == 2 * 8 * 49)
    #expect(traffic(always).crossed == 0)
    #expect(traffic(always).reportedMetrics["cross_device_tokens"] == 0)

    let plain = try model(nil)
    let zero = try model(["rate": .double(0)])
    for step in 0..<3 {
      let c = training(step: step)
      #expect(plain.network.forward(x, c).storage == zero.network.forward(x, c).storage)
    }
    #expect(traffic(plain).crossed == traffic(zero).crossed)
    #expect(traffic(plain).crossed > 0)
  }

  /// Gate-Expert-Drop at rate 1: both MoE layers are skipped, so the network is the embedding, the join and the
  /// head alone — the same output as the plain model with its MoE layers removed.
  @Test func gateExpertDropSkipsTheLayers() throws {
    let x = normalTensor([4, 28, 28, 1], seed: 10)
    let dropped = try model(["rate": .double(1), "variant": .string("gate-expert")])
    let y = dropped.network.forward(x, training(step: 1))
    let layers = (dropped.network as! Sequential).layers.filter { !($0 is MixtureOfExperts) }
    let withoutExperts = Sequential(layers).forward(x, .evaluation)
    #expect(y.storage == withoutExperts.storage)
  }
}

import Foundation
import Tensor
import Testing

@testable import NN

/// A routing policy that always answers the same.
final class FixedRouting: RoutingPolicy {
  let decision: RoutingDecision
  init(_ decision: RoutingDecision) { self.decision = decision }
  func decide(_ context: StepContext) -> RoutingDecision { decision }
}

@Suite struct MixtureOfExpertsTests {
  let key = RandomKey(seed: 0x30E)

  func layer(tokens: Int = 3, balance: Float = 0.01, policy: RoutingPolicy? = nil) -> MixtureOfExperts {
    let moe = MixtureOfExperts(dim: 5, hidden: 6, experts: 4, tokens: tokens, balanceWeight: balance, key: key.fold(1))
    moe.policy = policy
    return moe
  }

  /// One token row through expert e alone (evaluation mode: nothing cached).
  func expert(_ moe: MixtureOfExperts, _ e: Int, _ row: [Float]) -> [Float] {
    moe.experts[e].forward(Tensor(shape: [1, row.count], storage: row), .evaluation).storage
  }

  func softmax(_ z: [Float]) -> [Float] {
    let m = z.max()!
    let e = z.map { expf($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  @Test func patchTokensCutImagesInRasterOrder() {
    // One 4 × 4 two-channel image, value = 10·pixel + channel: 2 × 2 patches give 4 tokens of 8 values.
    let x = Tensor(shape: [1, 4, 4, 2], storage: (0..<32).map { Float(10 * ($0 / 2) + $0 % 2) })
    let y = PatchTokens(patch: 2).forward(x, .evaluation)
    #expect(y.shape == [4, 8])
    #expect(Array(y.storage[0..<8]) == [0, 1, 10, 11, 40, 41, 50, 51])  // pixels (0,0) (0,1) (1,0) (1,1)
    #expect(Array(y.storage[8..<16]) == [20, 21, 30, 31, 60, 61, 70, 71])  // the top-right patch
    #expect(Array(y.storage[24..<32]) == [100, 101, 110, 111, 140, 141, 150, 151])
    let r = GradientCheck(inputSamples: 32).check(
      PatchTokens(patch: 2), input: .normal([2, 4, 6, 1], key: key.fold(2)), key: key.fold(3))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func routesEachTokenToItsTopExpertWeightedByItsGate() {
    let moe = layer()
    let x = Tensor.normal([6, 5], key: key.fold(4))
    let y = moe.forward(x, StepContext(mode: .train, key: key))
    let logits = moe.router.forward(x, .evaluation)
    var expectedCrossed = 0
    for r in 0..<6 {
      let row = Array(x.storage[(r * 5)..<(r * 5 + 5)])
      let p = softmax(Array(logits.storage[(r * 4)..<(r * 4 + 4)]))
      let top = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
      let out = expert(moe, top, row)
      for j in 0..<5 {
        #expect(abs(y.storage[r * 5 + j] - (row[j] + p[top] * out[j])) <= 1e-5)
      }
      // Two samples of three tokens on four devices: sample 0 on device 0, sample 1 on device 2.
      #expect(moe.device(ofRow: r, rows: 6) == (r < 3 ? 0 : 2))
      if top != moe.device(ofRow: r, rows: 6) { expectedCrossed += 1 }
    }
    #expect(moe.traffic.tokens == 6)
    #expect(moe.traffic.crossed == expectedCrossed)
  }

  @Test func localRoutingUsesEachDevicesExpertAndCrossesNothing() {
    let moe = layer(policy: FixedRouting(.local))
    let x = Tensor.normal([12, 5], key: key.fold(5))  // 4 samples of 3 tokens: one sample per device
    let y = moe.forward(x, StepContext(mode: .train, key: key))
    for r in 0..<12 {
      let row = Array(x.storage[(r * 5)..<(r * 5 + 5)])
      let out = expert(moe, r / 3, row)
      for j in 0..<5 { #expect(abs(y.storage[r * 5 + j] - (row[j] + out[j])) <= 1e-5) }
    }
    #expect(moe.traffic.tokens == 12)
    #expect(moe.traffic.crossed == 0)
    #expect(moe.addLoss(StepContext(mode: .train, key: key)) == 0)
  }

  @Test func aSkippedLayerIsExactlyItsResidualInput() {
    let moe = layer(policy: FixedRouting(.skip))
    let x = Tensor.normal([6, 5], key: key.fold(6))
    let y = moe.forward(x, StepContext(mode: .train, key: key))
    #expect(y.storage == x.storage)
    let dy = Tensor.normal([6, 5], key: key.fold(7))
    for p in moe.parameters { p.zeroGrad() }
    #expect(moe.backward(dy).storage == dy.storage)
    #expect(moe.parameters.allSatisfy { $0.grad.storage.allSatisfy { $0 == 0 } })
    #expect(moe.traffic.crossed == 0)
  }

  /// Top-1 routing jumps where a token's argmax flips: coordinates whose one-sided differences disagree are
  /// skipped (at most a third). Without the balancing term f = Σ g·y is the whole objective.
  @Test(arguments: [RoutingDecision.route, .local])
  func gradients(decision: RoutingDecision) {
    let moe = layer(balance: 0, policy: FixedRouting(decision))
    let check = GradientCheck(step: 3e-3, floor: 1e-2, inputSamples: 30, parameterSamples: 6, skipKinks: true)
    let r = check.check(moe, input: .normal([6, 5], key: key.fold(8)), key: key.fold(9))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(r.skipped * 3 <= r.checked + r.skipped, "\(r)")
  }

  /// The balancing term's gradient: f = Σ g·y + α·E·Σ f_e·P_e, with the f_e held at their (piecewise constant)
  /// values. A wrong sign or a missing term moves the router's gradient by far more than the tolerance (α is large
  /// here so the term matters).
  @Test func loadBalancingGradient() {
    let moe = layer(balance: 0.5)
    let x = Tensor.normal([6, 5], key: key.fold(10))
    let context = StepContext(mode: .train, key: key)
    let y = moe.forward(x, context)
    let g = Tensor.normal(y.shape, key: key.fold(11))
    for p in moe.parameters { p.zeroGrad() }
    let dx = moe.backward(g)
    let routerGrad = moe.router.weight.grad
    func f(_ input: Tensor) -> Double {
      let out = moe.forward(input, context)
      return g.dot(out) + moe.addLoss(context)
    }
    let check = GradientCheck(step: 3e-3, floor: 1e-2, skipKinks: true)
    var report = GradientCheck.Report()
    check.compare(dx, at: x, samples: 30, key: key.fold(12), label: "dx", into: &report, f)
    let original = moe.router.weight.value
    check.compare(routerGrad, at: original, samples: 20, key: key.fold(13), label: "router", isInput: false, into: &report) {
      moe.router.weight.value = $0
      return f(x)
    }
    moe.router.weight.value = original
    #expect(report.maxError <= 1e-2, "\(report)")
    let balance = moe.addLoss(context)
    #expect(balance > 0)
  }

  @Test func theModelRecordsRoutingSitesAndCountsTraffic() throws {
    let model = try ModelRegistry.build(
      ModelRequest(name: "moe", inputShape: [28, 28, 1], classes: 10, key: RandomKey(seed: 3)))
    #expect(model.sites.filter { $0.kind == .routing }.map(\.name) == ["moe1", "moe2"])
    #expect(model.sites.first { $0.name == "moe1" }?.shape == [49, 32])
    #expect(model.sites.first { $0.name == "moe1" }?.experts == 4)
    let x = Tensor.normal([8, 28, 28, 1], key: key.fold(14))
    let y = model.network.forward(x, StepContext(mode: .train, key: key))
    #expect(y.shape == [8, 10])
    let traffic = model.hooks.compactMap { $0 as? TokenTraffic }
    #expect(traffic.count == 1)
    #expect(traffic[0].tokens == 2 * 8 * 49)
    #expect(traffic[0].reportedMetrics["cross_device_tokens"] != nil)
  }
}

import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct HMEDropoutTests {
  func tree(_ rate: Double?, depth: Int = 3, seed: UInt64 = 3) -> HierarchicalMixture {
    let tree = HierarchicalMixture(features: 5, outputs: 2, depth: depth, key: RandomKey(seed: seed))
    tree.dropout = rate.map { HMEDropout(rate: $0, stream: 9) }
    return tree
  }

  /// One draw per (sample, node): draw s·nodes + m of the step key folded with the stream, dropped below rate.
  /// 200 steps × 16 samples × 7 nodes = 22,400 draws at 0.25: standard error 0.0029; tolerance 0.012 (> 4 σ).
  @Test func eachNodeOfEachSampleDropsWithTheRate() {
    let dropout = HMEDropout(rate: 0.25, stream: 9)
    var dropped = 0
    for step in 0..<200 {
      let d = dropout.droppedLeft(samples: 16, nodes: 7, training(step: step))
      #expect(d.count == 112)
      dropped += d.filter { $0 }.count
      if step == 0 {
        let draws = training(step: 0).key.fold(UInt64(9)).uniforms(112)
        #expect(d == draws.map { $0 < 0.25 })
      }
    }
    #expect(abs(Double(dropped) / 22_400 - 0.25) < 0.012)
    #expect(dropout.evaluationGateScale(.evaluation) == 0.75)
  }

  @Test func rateZeroIsThePlainTree() {
    let x = normalTensor([6, 5], seed: 1)
    let plain = tree(nil)
    let zero = tree(0)
    #expect(plain.forward(x, training(step: 4)).storage == zero.forward(x, training(step: 4)).storage)
    #expect(plain.forward(x, .evaluation).storage == zero.forward(x, .evaluation).storage)
  }

  /// The evaluation rule is the expectation over drops: the mean of 20,000 training outputs (one per key) is the
  /// evaluation output. The largest per-value standard error of that mean is below 0.004 here; tolerance 0.02.
  /// A rule that ignored the drops (the plain tree at test time) is off by more than 0.05 on these inputs.
  @Test func evaluationIsTheExpectationOverDrops() {
    let t = tree(0.4)
    let x = normalTensor([3, 5], seed: 2, scale: 2)
    let evaluated = t.forward(x, .evaluation).storage
    var mean = [Double](repeating: 0, count: evaluated.count)
    let draws = 20_000
    for step in 0..<draws {
      for (i, v) in t.forward(x, training(step: step)).storage.enumerated() { mean[i] += Double(v) / Double(draws) }
    }
    let worst = zip(mean, evaluated).map { abs($0 - Double($1)) }.max()!
    #expect(worst < 0.02, "mean of training outputs \(mean) vs evaluation \(evaluated)")
    let plainEvaluation = tree(nil).forward(x, .evaluation).storage
    let plainOff = zip(mean, plainEvaluation).map { abs($0 - Double($1)) }.max()!
    #expect(plainOff > 0.05, "the probe cannot tell the rule from the plain tree (\(plainOff))")
  }

  @Test func theModelTakesItAtItsGateSite() throws {
    let model = try ModelRegistry.build(
      ModelRequest(name: "hme", inputShape: [4, 4, 1], classes: 3, blocks: 2, key: RandomKey(seed: 6)) { site in
        site.kind == .gates ? HMEDropout.descriptor.make(["rate": .double(0.5)], site) : nil
      })
    let tree = (model.network as! Sequential).layers.compactMap { $0 as? HierarchicalMixture }[0]
    #expect((tree.dropout as? HMEDropout)?.rate == 0.5)
    #expect(HMEDropout.descriptor.validate([:], model.sites.first { $0.kind == .gates }!) == nil)
    #expect(HMEDropout.descriptor.validate([:], model.sites.first { $0.name == "input" }!) != nil)
  }
}

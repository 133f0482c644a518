import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct StochasticDepthTests {
  @Test func survivalDecaysLinearlyToTheLastBlock() {
    let linear = (1...4).map { StochasticDepth.survival(last: 0.5, decay: .linear, depth: $0, count: 4) }
    #expect(linear == [0.875, 0.75, 0.625, 0.5])
    #expect(StochasticDepth.survival(last: 0.5, decay: .uniform, depth: 1, count: 4) == 0.5)
    #expect(StochasticDepth.survival(last: 0.8, decay: .linear, depth: 0, count: 0) == 0.8)
    #expect(StochasticDepth.survival(last: 1, decay: .linear, depth: 2, count: 9) == 1)
  }

  /// Training: `.drop` exactly when draw 0 of the site's key is ≥ p_ℓ, else `.keep(1)` (`.keep(1/p)` inverted);
  /// evaluation: `.keep(p)` (`.keep(1)` inverted).
  @Test func decisionsFollowTheDrawAndTheEvaluationRule() {
    let p = 0.625
    let gate = StochasticDepth(survival: p, stream: 9)
    let inverted = StochasticDepth(survival: p, inverted: true, stream: 9)
    var dropped = 0
    for step in 0..<64 {
      let context = training(step: step)
      let survives = Double(context.key.fold(UInt64(9)).uniforms(1)[0]) < p
      #expect(gate.decide(batch: 4, context) == (survives ? .keep(1) : .drop))
      #expect(inverted.decide(batch: 4, context) == (survives ? .keep(Float(1 / p)) : .drop))
      if !survives { dropped += 1 }
    }
    #expect(dropped > 0 && dropped < 64)
    #expect(gate.decide(batch: 4, .evaluation) == .keep(Float(p)))
    #expect(inverted.decide(batch: 4, .evaluation) == .keep(1))
  }

  @Test func survivalOneIsTheIdentity() {
    for gate in [StochasticDepth(survival: 1), StochasticDepth(survival: 1, inverted: true)] {
      for step in 0..<50 { #expect(gate.decide(batch: 3, training(step: step)) == .keep(1)) }
      #expect(gate.decide(batch: 3, .evaluation) == .keep(1))
    }
  }

  /// 4000 steps at p = 0.75: the dropped fraction's standard error is √(0.25·0.75/4000) = 0.0068; tolerance 0.03
  /// (> 4 σ).
  @Test func droppedFractionIsOneMinusSurvival() {
    let gate = StochasticDepth(survival: 0.75, stream: 3)
    let dropped = (0..<4000).filter { gate.decide(batch: 1, training(seed: 21, step: $0)) == .drop }.count
    #expect(abs(Double(dropped) / 4000 - 0.25) < 0.03)
  }

  /// One Bernoulli per block and step can agree by chance, so streams and steps are compared over 64 decisions.
  @Test func sameKeySameDecisionAndOtherStreamsOrStepsDiffer() {
    func decisions(_ gate: StochasticDepth, steps: Range<Int>) -> [BranchDecision] {
      steps.map { gate.decide(batch: 2, training(step: $0)) }
    }
    let a = StochasticDepth(survival: 0.5, stream: 1)
    #expect(decisions(a, steps: 0..<64) == decisions(StochasticDepth(survival: 0.5, stream: 1), steps: 0..<64))
    #expect(decisions(a, steps: 0..<64) != decisions(StochasticDepth(survival: 0.5, stream: 2), steps: 0..<64))
    #expect(decisions(a, steps: 0..<64) != decisions(a, steps: 64..<128))
  }

  /// Through a BasicBlock: a dropped step is relu(skip) with no gradient reaching the branch; a kept step is the
  /// plain block; evaluation is the block with its branch scaled by p.
  @Test func basicBlockSkipsTheDroppedBranch() throws {
    let key = RandomKey(seed: 31)
    let gate = StochasticDepth(survival: 0.5, stream: 4)
    let block = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key, gate: gate)
    let plain = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key)
    let x = normalTensor([2, 5, 5, 3], seed: 32)
    let dy = normalTensor([2, 5, 5, 3], seed: 33)
    let steps = 0..<32
    let dropStep = try #require(steps.first { gate.decide(batch: 2, training(step: $0)) == .drop })
    let keepStep = try #require(steps.first { gate.decide(batch: 2, training(step: $0)) == .keep(1) })

    let y = block.forward(x, training(step: dropStep))
    #expect(y == relu(x))
    for p in block.parameters { p.zeroGrad() }
    let dx = block.backward(dy)
    #expect(block.parameters.allSatisfy { $0.grad.storage.allSatisfy { $0 == 0 } })
    #expect(dx.storage == zip(dy.storage, y.storage).map { $1 > 0 ? $0 : 0 })

    #expect(block.forward(x, training(step: keepStep)) == plain.forward(x, training(step: keepStep)))
    // Fresh blocks, so both evaluate with the same (initial) BatchNorm running statistics.
    let evaluated = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key, gate: gate)
    let scaled = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key, gate: FixedGate(.keep(0.5)))
    let unscaled = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key)
    #expect(evaluated.forward(x, .evaluation) == scaled.forward(x, .evaluation))
    #expect(evaluated.forward(x, .evaluation) != unscaled.forward(x, .evaluation))
  }

  static let site = Site(
    name: "block2", kind: .branch, shape: [8, 8, 32], stream: Site.namedStream(.branch, "block2"), depth: 2,
    depthCount: 3)

  @Test(arguments: [
    [:], ["inverted": ConfigValue.bool(true)], ["decay": .string("uniform"), "survival_last": .double(0.8)],
    ["survival_last": .double(1)],
  ])
  func conformsAtAResNetBranch(params: [String: ConfigValue]) {
    let results = Conformance.check(StochasticDepth.descriptor, params, at: Self.site)
    #expect(conforms(results), "\(results)")
  }

  /// A planted mistake: a gate that forgets the test-time scaling (evaluation `.keep(1)`) under the declared
  /// expectations of the non-inverted rule. The gate must catch it, and only it.
  @Test func conformanceCatchesAMissingTestTimeScale() throws {
    final class Unscaled: BranchGate {
      let inner: StochasticDepth
      init(_ inner: StochasticDepth) { self.inner = inner }
      func decide(batch: Int, _ context: StepContext) -> BranchDecision {
        context.mode == .train ? inner.decide(batch: batch, context) : .keep(1)
      }
    }
    let real = StochasticDepth.descriptor
    let planted = RegularizerDescriptor(
      name: "stochastic-depth-unscaled", taxonomy: .architecture, summary: "planted", citation: "test",
      parameters: real.parameters, plugsInto: .branch, evaluation: real.evaluationRule,
      expectations: real.expectations,
      build: { params, site in
        guard case .gate(let gate) = real.make(params, site) else { preconditionFailure("not a gate") }
        return .gate(Unscaled(gate as! StochasticDepth))
      })
    let results = Conformance.check(planted, [:], at: Self.site)
    let failed = results.filter { !$0.passed }.map(\.property)
    #expect(failed == ["evaluation scales by \(Conformance.format(2.0 / 3))"], "\(results)")
  }

  @Test(arguments: [
    (["survival_last": ConfigValue.double(0)], "survival_last"), (["survival_last": .double(1.2)], "survival_last"),
    (["decay": .string("cosine")], "decay"), (["inverted": .string("yes")], "inverted"),
  ])
  func validationRejectsWithASentence(params: [String: ConfigValue], mentions: String) throws {
    let message = try #require(StochasticDepth.descriptor.validate(params, Self.site))
    #expect(message.hasPrefix("stochastic-depth") && message.contains(mentions), "\(message)")
    #expect(StochasticDepth.descriptor.validate([:], Self.site) == nil)
  }
}

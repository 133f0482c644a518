import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct DropPathTests {
  @Test func rateZeroAndEvaluationAreThePlainBlock() {
    #expect(DropPath(rate: 0).decide(batch: 4, training()) == .keep(1))
    #expect(DropPath(rate: 0.3).decide(batch: 4, .evaluation) == .keep(1))
  }

  /// One factor per sample: 0 where draw n of the site's key is below rate, 1/(1 − rate) elsewhere.
  @Test func perSampleFactorsFollowTheDraws() throws {
    let rate = 0.3
    let context = training(step: 3)
    guard case .perSample(let factors) = DropPath(rate: rate, stream: 6).decide(batch: 16, context) else {
      Issue.record("not a per-sample decision")
      return
    }
    let draws = context.key.fold(UInt64(6)).uniforms(16)
    #expect(factors.count == 16)
    for n in 0..<16 { #expect(factors[n] == (draws[n] < Float(rate) ? 0 : Float(1 / (1 - rate)))) }
    #expect(Set(factors).count == 2)
  }

  /// 64 steps × 128 samples = 8192 draws at rate 0.1: standard error √(0.09/8192) = 0.0033; tolerance 0.015 (> 4 σ).
  @Test func droppedFractionIsTheRate() {
    let gate = DropPath(rate: 0.1, stream: 2)
    var dropped = 0
    for step in 0..<64 {
      guard case .perSample(let f) = gate.decide(batch: 128, training(seed: 5, step: step)) else {
        Issue.record("not a per-sample decision")
        return
      }
      dropped += f.filter { $0 == 0 }.count
    }
    #expect(abs(Double(dropped) / 8192 - 0.1) < 0.015)
  }

  @Test func sameKeySameFactorsAndOtherStreamsOrStepsDiffer() {
    let a = DropPath(rate: 0.5, stream: 1)
    #expect(
      a.decide(batch: 32, training(step: 4)) == DropPath(rate: 0.5, stream: 1).decide(batch: 32, training(step: 4)))
    #expect(
      a.decide(batch: 32, training(step: 4)) != DropPath(rate: 0.5, stream: 2).decide(batch: 32, training(step: 4)))
    #expect(a.decide(batch: 32, training(step: 4)) != a.decide(batch: 32, training(step: 5)))
  }

  /// Through a BasicBlock: dropped samples are relu(skip), kept samples are the block with its branch scaled by
  /// 1/(1 − rate); a step dropping every sample gives the branch no gradient.
  @Test func basicBlockDropsSamplesBranches() throws {
    let key = RandomKey(seed: 41)
    let rate = 0.5
    let gate = DropPath(rate: rate, stream: 8)
    let x = normalTensor([4, 5, 5, 3], seed: 42)
    func factors(_ step: Int, batch: Int) -> [Float] {
      guard case .perSample(let f) = gate.decide(batch: batch, training(step: step)) else { return [] }
      return f
    }
    let mixed = try #require((0..<32).first { Set(factors($0, batch: 4)).count == 2 })
    let block = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key, gate: gate)
    let scaled = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: key, gate: FixedGate(.keep(2)))
    let y = block.forward(x, training(step: mixed))
    let reference = scaled.forward(x, training(step: mixed))
    let skip = relu(x)
    let length = x.rowLength
    for (n, f) in factors(mixed, batch: 4).enumerated() {
      let rows = (n * length)..<((n + 1) * length)
      #expect(Array(y.storage[rows]) == Array((f == 0 ? skip : reference).storage[rows]), "sample \(n)")
    }

    let small = normalTensor([2, 5, 5, 3], seed: 43)
    let allDropped = try #require((0..<64).first { factors($0, batch: 2) == [0, 0] })
    #expect(block.forward(small, training(step: allDropped)) == relu(small))
    for p in block.parameters { p.zeroGrad() }
    _ = block.backward(normalTensor([2, 5, 5, 3], seed: 44))
    #expect(block.parameters.allSatisfy { $0.grad.storage.allSatisfy { $0 == 0 } })
  }

  /// Backward agrees with finite differences of the forward with the per-sample factors of a fixed key (one
  /// sample dropped, one kept). Tolerance as NNTests' residual checks: relative 1e-2, floor 1e-2, h = 5e-3, kinks
  /// skipped (at most a third).
  @Test func basicBlockGradientWithPerSampleFactors() throws {
    let gate = DropPath(rate: 0.5, stream: 8)
    let step = try #require(
      (0..<64).first { s in
        guard case .perSample(let f) = gate.decide(batch: 2, training(step: s)) else { return false }
        return Set(f).count == 2
      })
    let block = BasicBlock(inChannels: 3, outChannels: 3, stride: 1, key: RandomKey(seed: 45), gate: gate)
    let check = FiniteDifferences(step: 5e-3, floor: 1e-2, samples: 30, skipKinks: true)
    let r = check.check(
      block, input: normalTensor([2, 4, 4, 3], seed: 46), context: training(step: step), key: RandomKey(seed: 47))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(r.skipped * 3 <= r.checked + r.skipped, "\(r)")
    #expect(r.checked > 30, "\(r)")
  }

  static let site = Site(
    name: "block3", kind: .branch, shape: [8, 8, 64], stream: Site.namedStream(.branch, "block3"), depth: 3,
    depthCount: 3)

  @Test(arguments: [[:], ["rate": ConfigValue.double(0.3)], ["rate": .double(0)]])
  func conformsAtAResNetBranch(params: [String: ConfigValue]) {
    let results = Conformance.check(DropPath.descriptor, params, at: Self.site)
    #expect(conforms(results), "\(results)")
  }

  /// A planted mistake: a copy of the descriptor whose gate scales kept branches by 1/rate instead of
  /// 1/(1 − rate). The conformance gate must reject its kept-value property, and only that.
  @Test func conformanceCatchesScalingByOneOverRate() {
    final class WrongScale: BranchGate {
      let rate: Double
      let stream: UInt64
      init(rate: Double, stream: UInt64) {
        self.rate = rate
        self.stream = stream
      }
      func decide(batch: Int, _ context: StepContext) -> BranchDecision {
        guard context.mode == .train, rate > 0 else { return .keep(1) }
        let keep = DropPath.keepMask(batch: batch, rate: rate, key: context.key.fold(stream))
        return .perSample(keep.map { $0 * Float(1 / rate) })
      }
    }
    let real = DropPath.descriptor
    let planted = RegularizerDescriptor(
      name: "drop-path-wrong-scale", taxonomy: .architecture, summary: "planted", citation: "test",
      parameters: real.parameters, plugsInto: .branch, expectations: real.expectations,
      build: { params, site in .gate(WrongScale(rate: params.double("rate"), stream: site.stream)) })
    let results = Conformance.check(planted, [:], at: Self.site)
    #expect(results.filter { !$0.passed }.map(\.property) == ["kept values scaled by 1.1111"], "\(results)")
    #expect(conforms(Conformance.check(real, [:], at: Self.site)))
  }

  @Test(arguments: [
    ["rate": ConfigValue.double(1)], ["rate": .double(-0.1)], ["drop_prob": .double(0.1)],
  ])
  func validationRejectsWithASentence(params: [String: ConfigValue]) throws {
    let message = try #require(DropPath.descriptor.validate(params, Self.site))
    #expect(message.hasPrefix("drop-path"), "\(message)")
    let activation = Site(name: "stage2", shape: [8, 8, 32], stream: 2)
    #expect(DropPath.descriptor.validate([:], activation)?.contains("branch sites") == true)
  }
}

import NN
import Tensor
import Testing

@testable import Regularizers

/// Max-norm as a training-loop method: the projection of Srivastava et al. §5.1 after each step, its gate, and a
/// planted mistake the gate catches.
@Suite struct MaxNormTests {
  static let site = Conformance.representativeSite(.training)

  @Test func projectsLongRowsOntoTheBallAndLeavesShortOnes() {
    let w = Tensor(shape: [3, 2], storage: [3, 4, 0.3, 0.4, 0, 0])  // norms 5, 0.5, 0
    let p = Parameter(name: "w", value: w, isUnitWeights: true)
    let bias = Parameter(name: "b", value: Tensor(shape: [3], storage: [10, 10, 10]))
    MaxNormConstraint(c: 1).afterStep([p, bias], StepContext(mode: .train, key: RandomKey(seed: 0)))
    #expect(zip(p.value.storage, [0.6, 0.8, 0.3, 0.4, 0, 0]).allSatisfy { abs($0 - $1) < 1e-6 })
    #expect(bias.value.storage == [10, 10, 10])  // never biases
  }

  @Test func isATrainingHookWithDefaultsThatPassTheGate() {
    let d = MaxNormConstraint.descriptor
    #expect(d.plugPoint == .training && d.taxonomy == .optimization)
    guard case .hook = d.make([:], Self.site) else {
      Issue.record("max-norm should plug a training hook")
      return
    }
    let results = Conformance.check(d, ["c": .double(2)], at: Self.site)
    #expect(results.map(\.property) == ["unit norms projected to at most 2", "evaluation is the identity"])
    #expect(Conformance.failures(results) == nil, "\(Conformance.failures(results) ?? "")")
    // Only the training loop's site takes it.
    #expect(d.validate([:], Site(name: "hidden1", kind: .weights, shape: [4, 4], stream: 0)) != nil)
  }

  /// A projection to the wrong radius (2c) and one that also shrinks short rows are both caught.
  @Test func theGateCatchesPlantedMistakes() {
    final class WrongRadius: TrainingHook {
      func afterStep(_ parameters: [Parameter], _ context: StepContext) { MaxNorm.apply(parameters, c: 4) }
    }
    final class ShrinksEverything: TrainingHook {
      func afterStep(_ parameters: [Parameter], _ context: StepContext) {
        for p in parameters { p.value.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= 0.5 } } }
      }
    }
    for hook in [WrongRadius() as TrainingHook, ShrinksEverything()] {
      let result = Conformance.judgeUnitNorms(2, plug: .hook(hook), name: "max-norm")
      #expect(!result.passed, "\(type(of: hook)): \(result.measured)")
    }
    #expect(Conformance.judgeUnitNorms(2, plug: .hook(MaxNormConstraint(c: 2)), name: "max-norm").passed)
  }
}

import Tensor
import Testing

@testable import NN

@Suite struct ActivationsTests {
  let key = RandomKey(seed: 51)

  /// Values with |x| ≥ 0.1: a perturbation of 1e-2 never crosses ReLU's kink.
  func awayFromZero(_ shape: [Int]) -> Tensor {
    let u = Tensor.uniform(shape, key: key.fold(0), in: 0.1...2)
    let sign = Tensor.uniform(shape, key: key.fold(1))
    return Tensor(shape: shape, storage: zip(u.storage, sign.storage).map { $1 < 0.5 ? -$0 : $0 })
  }

  @Test func reluForward() {
    let x = Tensor(shape: [1, 5], storage: [-2, -0, 0, 0.5, 3])
    #expect(ReLU().forward(x, .evaluation).storage == [0, 0, 0, 0.5, 3])
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2, inputs at least 0.1 from the kink.
  @Test func reluGradient() {
    let x = awayFromZero([3, 4, 5, 2])
    let r = GradientCheck(inputSamples: 60).check(ReLU(), input: x, key: key.fold(2))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func reluOnAnEmptyBatch() {
    let relu = ReLU()
    let y = relu.forward(Tensor(shape: [0, 3]), StepContext(mode: .train, key: key))
    #expect(y.shape == [0, 3])
    #expect(relu.backward(y).shape == [0, 3])
  }

  @Test func reluBackwardMasksNonPositiveOutputs() {
    let relu = ReLU()
    _ = relu.forward(Tensor(shape: [4], storage: [-1, 0, 2, 3]), StepContext(mode: .train, key: key))
    #expect(relu.backward(Tensor(shape: [4], storage: [5, 6, 7, 8])).storage == [0, 0, 7, 8])
  }

  @Test func flattenKeepsNHWCOrder() {
    let x = Tensor.normal([2, 3, 2, 4], key: key.fold(3))
    let flatten = Flatten()
    let y = flatten.forward(x, .evaluation)
    #expect(y.shape == [2, 24])
    #expect(y.storage == x.storage)
    let r = GradientCheck().check(Flatten(), input: x, key: key.fold(4))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(flatten.backward(y).shape == [2, 3, 2, 4])
  }

  @Test func identity() {
    let x = Tensor.normal([2, 3], key: key.fold(5))
    let id = Identity()
    #expect(id.forward(x, .evaluation) == x)
    #expect(id.backward(x) == x)
    #expect(id.parameters.isEmpty)
  }
}

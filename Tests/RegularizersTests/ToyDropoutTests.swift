import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct ToyDropoutTests {
  @Test func drawsDropoutsMask() {
    let site = Site(name: "hidden", shape: [64], stream: 5)
    let x = normalTensor([8, 64], seed: 1)
    guard case .layer(let made) = ToyDropout.descriptor.make(["rate": .double(0.3)], site) else {
      Issue.record("toy-dropout did not make a layer")
      return
    }
    #expect(made.forward(x, training(step: 1)) == Dropout(rate: 0.3, stream: 5).forward(x, training(step: 1)))
  }
}

import Tensor
import Testing

@testable import NN

/// `model.init`: He's scheme is what the layers draw; PyTorch's default redraws every linear and convolution weight
/// and bias uniformly on ±1/√fan-in from its own keys, and leaves BatchNorm alone.
@Suite struct InitializationTests {
  static let models: [(name: String, input: [Int], parameters: [String: ConfigValue])] = [
    ("mlp", [28, 28, 1], ["widths": .list([.int(256), .int(128)])]),
    ("cnn", [28, 28, 1], [:]),
    ("resnet", [28, 28, 1], ["blocks": .int(1)]),
  ]

  static func build(_ model: String, _ input: [Int], _ parameters: [String: ConfigValue], _ scheme: Initialization)
    throws -> Model
  {
    try ModelRegistry.build(
      ModelRequest(
        name: model, inputShape: input, classes: 10, parameters: parameters, key: RandomKey(seed: 7),
        initialization: scheme))
  }

  @Test(arguments: 0..<3) func pytorchDrawsUniformOnTheFanInBound(_ index: Int) throws {
    let (name, input, parameters) = Self.models[index]
    let he = try Self.build(name, input, parameters, .he)
    let torch = try Self.build(name, input, parameters, .pytorch)
    var redrawn = 0
    for (p, q) in zip(he.network.parameters, torch.network.parameters) {
      let values = q.value.storage
      guard let fanIn = q.fanIn else {
        #expect(p.value.storage == values, "\(name): \(q.name) has no fan-in and must keep its value")
        continue
      }
      redrawn += 1
      let bound = Float(1 / Double(fanIn).squareRoot())
      #expect(values.allSatisfy { abs($0) <= bound }, "\(name): \(q.name) outside ±1/√\(fanIn)")
      #expect(p.value.storage != values, "\(name): \(q.name) not redrawn")
      guard values.count >= 2000 else { continue }
      // Uniform on ±b: mean 0 (sd b/√(3n)), variance b²/3 (sd of the estimate ≈ b²·√(4/(45 n))); 5 sd each.
      let n = Double(values.count)
      let b = Double(bound)
      let mean = values.reduce(0.0) { $0 + Double($1) } / n
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
      #expect(abs(mean) < 5 * b / (3 * n).squareRoot(), "\(name): \(q.name) mean \(mean)")
      #expect(abs(variance - b * b / 3) < 5 * b * b * (4 / (45 * n)).squareRoot(), "\(name): \(q.name) var \(variance)")
    }
    #expect(redrawn >= 3, "\(name): only \(redrawn) parameters carry a fan-in")
  }

  @Test func theSchemeIsDeterministicAndHeIsWhatTheLayersDraw() throws {
    let (name, input, parameters) = Self.models[2]
    let a = try Self.build(name, input, parameters, .pytorch)
    let b = try Self.build(name, input, parameters, .pytorch)
    #expect(a.network.parameters.map(\.value.storage) == b.network.parameters.map(\.value.storage))
    // He: the standard scheme redraws nothing — the weights are the builder's own draws, as before the setting existed.
    let he = try Self.build(name, input, parameters, .standard)
    let plain = try ModelRegistry.build(
      ModelRequest(name: name, inputShape: input, classes: 10, parameters: parameters, key: RandomKey(seed: 7)))
    #expect(he.network.parameters.map(\.value.storage) == plain.network.parameters.map(\.value.storage))
    let conv = try #require(he.network.parameters.first { $0.name == "conv.weight" })
    #expect(conv.fanIn == conv.value.count / conv.value.shape[0])
  }
}

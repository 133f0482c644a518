import Tensor

extension Initialization {
  /// Redraws, under this scheme, every parameter that has a fan-in (the weights and biases of linear and
  /// convolution layers), from `key` folded by the scheme's own purpose and then by the parameter's index in
  /// `parameters`; BatchNorm's and a regularizer's parameters keep their values. He's scheme is what the layers
  /// drew as they were built, so it redraws nothing.
  public func redraw(_ parameters: [Parameter], key: RandomKey) {
    switch self {
    case .he: return
    case .pytorch:
      let schemeKey = key.fold(.initialization)
      for (index, parameter) in parameters.enumerated() {
        guard let fanIn = parameter.fanIn else { continue }
        let bound = Float(1 / Double(fanIn).squareRoot())
        parameter.value.withUnsafeMutableBufferPointer { values in
          schemeKey.fold(index).fillUniform(values)
          for i in values.indices { values[i] = (2 * values[i] - 1) * bound }
        }
      }
    }
  }
}

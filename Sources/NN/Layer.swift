import Tensor

/// Training or evaluation. Passed explicitly to every forward call: no layer keeps a hidden mode flag.
public enum Mode: Sendable, Equatable {
  case train
  case eval
}

/// What a forward pass needs besides its input: the mode, the step's random key and how far training has come.
public struct StepContext: Sendable {
  public var mode: Mode
  /// The key of this optimisation step. A stochastic layer draws from `key.fold(site)`, its own stream.
  public var key: RandomKey
  /// Optimisation step (0-based) and fraction of training completed in [0, 1], for schedules (e.g. DropBlock's
  /// linearly decreasing keep probability).
  public var step: Int
  public var progress: Double
  /// Evaluation-only settings (ignored in training): the width a structurally trained net is evaluated at, the
  /// inference rule of a method that has several.
  public var evaluation: EvaluationSettings

  public init(
    mode: Mode, key: RandomKey, step: Int = 0, progress: Double = 1, evaluation: EvaluationSettings = .standard
  ) {
    self.mode = mode
    self.key = key
    self.step = step
    self.progress = progress
    self.evaluation = evaluation
  }

  /// Evaluation: no randomness is drawn, so the key is irrelevant.
  public static let evaluation = StepContext(mode: .eval, key: RandomKey(k0: 0, k1: 0))

  /// Evaluation with `settings`.
  public static func evaluation(_ settings: EvaluationSettings) -> StepContext {
    StepContext(mode: .eval, key: RandomKey(k0: 0, k1: 0), evaluation: settings)
  }
}

/// Settings that change only how a trained network is evaluated (a spec's `eval.*` keys). Regularizer layers read
/// the ones they understand; the others leave them alone.
public struct EvaluationSettings: Sendable, Hashable {
  /// Fraction of a layer's features kept at evaluation (Structural Dropout's "any width" nets); 1 = all.
  public var width: Double
  /// The inference rule: `standard` (each method's declared rule) or a method's alternative, e.g. DropConnect's
  /// `gaussian` moment matching.
  public var inference: String
  /// A validation probe pass (`TrainingHook.observesValidation`): evaluation mode, run by the training loop at each
  /// epoch end on the held-out validation split, so that a layer that needs validation statistics (NSDropout) can
  /// record them. Never set when the test set is evaluated.
  public var validationProbe: Bool

  public init(width: Double = 1, inference: String = "standard", validationProbe: Bool = false) {
    self.width = width
    self.inference = inference
    self.validationProbe = validationProbe
  }

  public static let standard = EvaluationSettings()
}

/// A trainable tensor with its accumulated gradient.
public final class Parameter {
  public let name: String
  public var value: Tensor
  public var grad: Tensor
  /// Max-norm applies to weight matrices whose rows are one unit's incoming weights (Linear), never to biases.
  public let isUnitWeights: Bool
  /// Whether the optimiser's weight decay applies (true for the network's weights; false for a regularizer's own
  /// trainable parameters, such as learnable drop probabilities, which a decay would pull towards 0.5).
  public let decays: Bool
  /// The fan-in of the layer a weight or bias belongs to (inputs per output unit), which an initialisation scheme
  /// scales by; nil for parameters no scheme redraws (BatchNorm's, a regularizer's own).
  public let fanIn: Int?

  public init(name: String, value: Tensor, isUnitWeights: Bool = false, decays: Bool = true, fanIn: Int? = nil) {
    self.name = name
    self.value = value
    self.grad = Tensor(shape: value.shape)
    self.isUnitWeights = isUnitWeights
    self.decays = decays
    self.fanIn = fanIn
  }

  public func zeroGrad() {
    grad.withUnsafeMutableBufferPointer { g in g.update(repeating: 0) }
  }
}

/// A layer with an explicit forward/backward pair. `forward` caches what `backward` needs; `backward` takes the
/// gradient of the loss with respect to the output, accumulates parameter gradients and returns the gradient
/// with respect to the input. Every `backward` follows the `forward` of the same batch.
public protocol Layer: AnyObject {
  func forward(_ x: Tensor, _ context: StepContext) -> Tensor
  func backward(_ dy: Tensor) -> Tensor
  var parameters: [Parameter] { get }
}

extension Layer {
  public var parameters: [Parameter] { [] }
}

/// Layers applied one after the other.
public final class Sequential: Layer {
  public var layers: [Layer]

  public init(_ layers: [Layer]) { self.layers = layers }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    var h = x
    for layer in layers { h = layer.forward(h, context) }
    return h
  }

  public func backward(_ dy: Tensor) -> Tensor {
    var g = dy
    for layer in layers.reversed() { g = layer.backward(g) }
    return g
  }

  public var parameters: [Parameter] { layers.flatMap(\.parameters) }
}

/// A layer whose forward and backward run inner `Sequential`s (a residual block's branch and shortcut), by name:
/// what the per-layer profile (`dropbench bench --layers`) walks into. A layer that is one operation does not
/// conform.
public protocol NestedLayers: Layer {
  var nested: [(name: String, sequence: Sequential)] { get }
}

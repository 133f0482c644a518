import NN
import Tensor

/// A multiplicative mask drawn for one forward pass: one factor per value, or one per (sample, channel)
/// broadcast over the positions of an NHWC map (or over nothing, on a vector site).
public enum Mask: Sendable, Equatable {
  case elementwise([Float])
  case perChannel([Float], channels: Int)
}

/// The shared layer of every mask-based regularizer. A method subclasses it and supplies only its pure mask
/// function (`mask(shape:context:key:)`); forward and backward are here, once: the forward multiplies the input
/// by the mask, the backward multiplies the gradient by the same mask. `key` is the step key folded with the
/// site's stream, so every site and step draws its own mask and the same key gives the same mask.
open class MaskLayer: Layer, RowwiseEvaluation {
  public let stream: UInt64
  /// The mask of the last training forward, or nil when that forward was the identity.
  private var applied: Mask?

  public init(stream: UInt64) { self.stream = stream }

  /// The mask for an input of `shape` (scaled as the method scales kept units), or nil for the identity.
  /// Called in training and in evaluation (`context.mode`); the default evaluation rule is the identity.
  open func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? { nil }

  /// The mask for the input `x` itself, for methods whose drops depend on the activations (CorrDrop scores cells by
  /// their correlations). The default calls `mask(shape:context:key:)`. The mask is a constant of the backward pass
  /// (as a sampled mask is in the reference implementations): the gradient is `dy` times the same mask.
  open func mask(input x: Tensor, context: StepContext, key: RandomKey) -> Mask? {
    mask(shape: x.shape, context: context, key: key)
  }

  /// Row-wise at evaluation (`RowwiseEvaluation`): true for the default evaluation rule, the identity, and for any
  /// rule that masks row r by row r alone; a method drawing its evaluation mask for the whole batch (Monte-Carlo
  /// dropout) overrides it with false. The registry contract test checks it for every method.
  open var evaluatesRowwise: Bool { true }

  public final func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let drawn = mask(input: x, context: context, key: context.key.fold(stream))
    applied = context.mode == .train ? drawn : nil
    guard let drawn else { return x }
    return Self.apply(drawn, to: x)
  }

  public final func backward(_ dy: Tensor) -> Tensor {
    guard let applied else { return dy }
    return Self.apply(applied, to: dy)
  }

  public static func apply(_ mask: Mask, to x: Tensor) -> Tensor {
    switch mask {
    case .elementwise(let m): Masking.multiply(x, m)
    case .perChannel(let m, let channels): Masking.multiplyBroadcast(x, rowChannelMask: m, channels: channels)
    }
  }
}

import NN
import Tensor

/// Tompson, Goroshin, Jain, LeCun & Bregler, "Efficient Object Localization Using Convolutional Networks",
/// CVPR 2015.
///
/// Drops whole channels: one Bernoulli draw per (sample, channel) of an NHWC map `[N, H, W, C]`, broadcast over
/// H × W, kept channels scaled by `1/(1 − rate)`. On a vector site `[N, F]` every feature is its own channel,
/// so it degenerates to element dropout (with the same draws as `Dropout` for the same key). Taxonomy:
/// architecture.
public final class SpatialDropout: Layer {
  public let rate: Double
  public let siteIndex: Int
  /// Scaled `[N, C]` mask of the last training forward, or nil when that forward was the identity.
  private var scaledMask: [Float]?

  /// `rate` must be in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, siteIndex: Int = 0) {
    precondition(rate >= 0 && rate < 1, "SpatialDropout: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.siteIndex = siteIndex
  }

  /// The channel keep mask, `batch × channels` values (row-major `[N, C]`, 1 kept, 0 dropped).
  public static func mask(batch: Int, channels: Int, rate: Double, key: RandomKey) -> [Float] {
    Dropout.mask(count: batch * channels, rate: rate, key: key)
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .train, rate > 0 else {
      scaledMask = nil
      return x
    }
    let channels = x.shape.last ?? 1
    var mask = Self.mask(batch: x.rows, channels: channels, rate: rate, key: context.key.fold(siteIndex))
    mask.withUnsafeMutableBufferPointer { Elementwise.scale(Dropout.keepScale(rate: rate), $0) }
    scaledMask = mask
    return Masking.multiplyBroadcast(x, rowChannelMask: mask, channels: channels)
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let scaledMask else { return dy }
    return Masking.multiplyBroadcast(dy, rowChannelMask: scaledMask, channels: dy.shape.last ?? 1)
  }
}

extension SpatialDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "spatial-dropout", taxonomy: .architecture,
    summary: "Drops whole channels of a feature map per sample (element dropout on vector sites).",
    citation: "Tompson et al., Efficient Object Localization Using Convolutional Networks, CVPR 2015",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.2),
        doc: "drop probability of each (sample, channel); 0 is the identity.")
    ],
    placement: .activation,
    build: { params, site in SpatialDropout(rate: params.double("rate"), siteIndex: site.index) })
}

import NN
import Tensor

/// Tompson, Goroshin, Jain, LeCun & Bregler, "Efficient Object Localization Using Convolutional Networks",
/// CVPR 2015.
///
/// Drops whole channels: one Bernoulli draw per (sample, channel) of an NHWC map `[N, H, W, C]`, broadcast over
/// H × W, kept channels scaled by `1/(1 − rate)`. On a vector site `[N, F]` every feature is its own channel,
/// so it degenerates to element dropout (with the same draws as `Dropout` for the same key). Taxonomy:
/// architecture.
public final class SpatialDropout: MaskLayer {
  public let rate: Double

  /// `rate` must be in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "SpatialDropout: rate \(rate) outside [0, 1)")
    self.rate = rate
    super.init(stream: stream)
  }

  /// The channel keep mask, `batch × channels` values (row-major `[N, C]`, 1 kept, 0 dropped).
  public static func mask(batch: Int, channels: Int, rate: Double, key: RandomKey) -> [Float] {
    Dropout.mask(count: batch * channels, rate: rate, key: key)
  }

  public override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
    guard context.mode == .train, rate > 0 else { return nil }
    let channels = shape.last ?? 1
    var mask = Self.mask(batch: shape[0], channels: channels, rate: rate, key: key)
    mask.withUnsafeMutableBufferPointer { Elementwise.scale(Dropout.keepScale(rate: rate), $0) }
    return .perChannel(mask, channels: channels)
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
    plugsInto: .activation,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, site in
      let rate = params.double("rate")
      return [
        .dropFraction(rate), .keptValue(1 / (1 - rate)), .channelStructure,
        .evaluationIdentity,
      ]
    },
    build: { params, site in .layer(SpatialDropout(rate: params.double("rate"), stream: site.stream)) })
}

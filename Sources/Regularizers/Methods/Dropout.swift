import NN
import Tensor

/// Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks
/// from Overfitting", JMLR 15 (2014).
///
/// Each unit is zeroed independently with probability `rate` (the paper's `p` is the retention probability,
/// `1 − rate`); kept units are scaled by `1/(1 − rate)` (inverted dropout) so evaluation is the identity.
/// Elementwise, so it works on any shape. Taxonomy: architecture.
public final class Dropout: MaskLayer {
  public let rate: Double

  /// `rate` must be in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "Dropout: rate \(rate) outside [0, 1)")
    self.rate = rate
    super.init(stream: stream)
  }

  /// The keep mask (1 kept, 0 dropped) for `count` units: unit `i` is dropped when uniform draw `i` of `key`
  /// is below `rate`. Draw `i` does not depend on `count`, so masks of different sizes agree on their prefix.
  ///
  /// `kept` is the value a kept unit gets (1, or the inverted scale 1/(1 − rate) to draw a scaled mask in one pass:
  /// the same bits as scaling the 0/1 mask afterwards). The comparison is done on the draw's 24-bit integer:
  /// (word >> 8)·2⁻²⁴ < Float(rate) exactly when (word >> 8) < ⌈Float(rate)·2²⁴⌉, both sides being exact, so the
  /// mask is the one the float uniforms gave, without making them.
  public static func mask(count: Int, rate: Double, key: RandomKey, kept: Float = 1) -> [Float] {
    let below = dropBelow(rate: rate)
    return [Float](unsafeUninitializedCapacity: count) { m, initialized in
      fillMask(m, below: below, kept: kept, key: key)
      initialized = count
    }
  }

  /// `out[i]` = 0 when draw `offset + i` of `key` drops its unit (`word >> 8 < below`), else `kept`: the rule of
  /// `mask`, compared eight words at a time.
  public static func fillMask(
    _ out: UnsafeMutableBufferPointer<Float>, below: UInt32, kept: Float, key: RandomKey, offset: Int = 0
  ) {
    guard let base = out.baseAddress else { return }
    let (belowV, keptV) = (SIMD8<UInt32>(repeating: below), SIMD8<Float>(repeating: kept))
    key.forEachWordChunk(out.count, offset: offset) { start, words in
      let o = base + start
      var i = 0
      while i + 8 <= words.count {
        let dropped = (UnsafeRawPointer(words.baseAddress! + i).loadUnaligned(as: SIMD8<UInt32>.self) &>> 8) .< belowV
        UnsafeMutableRawPointer(o + i).storeBytes(of: keptV.replacing(with: 0, where: dropped), as: SIMD8<Float>.self)
        i += 8
      }
      while i < words.count {
        o[i] = (words[i] >> 8) < below ? 0 : kept
        i += 1
      }
    }
  }

  /// Draw `word` drops its unit when `word >> 8` is below this: ⌈Float(rate)·2²⁴⌉ (see `mask`).
  public static func dropBelow(rate: Double) -> UInt32 { UInt32((Double(Float(rate)) * 0x1p24).rounded(.up)) }

  /// The factor applied to kept units.
  public static func keepScale(rate: Double) -> Float { Float(1 / (1 - rate)) }

  public override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
    guard context.mode == .train, rate > 0 else { return nil }
    return .elementwise(Self.mask(count: shape.reduce(1, *), rate: rate, key: key, kept: Self.keepScale(rate: rate)))
  }
}

extension Dropout {
  public static let descriptor = RegularizerDescriptor(
    name: "dropout", taxonomy: .architecture,
    summary: "Bernoulli unit mask with inverted scaling: each unit is zeroed with probability rate.",
    citation: "Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks from Overfitting, JMLR 2014",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.5),
        doc: "drop probability of each unit (the paper's retention p is 1 − rate); 0 is the identity.")
    ],
    plugsInto: .activation,
    identity: ["rate": .double(0)],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in .layer(Dropout(rate: params.double("rate"), stream: site.stream)) })
}

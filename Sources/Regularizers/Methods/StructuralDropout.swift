import NN
import Tensor

/// Structural Dropout (Knodt; reference code github.com/JulianKnodt/structural_dropout, `StructuredDropout` in
/// `src/ctrl.py`): trains a network that can be evaluated at any width by making earlier features more important.
///
/// On a site whose last dimension has F features (vectors `[F]` or feature maps `[H, W, C]`, F = C), each training
/// forward cuts with probability `rate` (uniform draw 0 of the step key folded with the site's stream below
/// `rate`): then c is drawn uniformly from range(c_min, F, step) = {c_min, c_min + step, …} < F (draw 1,
/// `uniformInt`), every feature with index ≥ c is zeroed and the first c are scaled by F/c — one cut for the whole
/// batch and all positions. c_min = max(1, ⌈lower·F⌉) (⌈·⌉ with a 1e-9 guard, so 0.3 · 10 gives 3): the reference's
/// `lower_bound` is an absolute count (default 1, 32 of 256 in its MLP); here it is a fraction of F, so one
/// setting fits every site. When the range is empty (c_min ≥ F, e.g. lower = 1) nothing is cut, as in the
/// reference. The cut probability is the plain `p` of the reference (before its last commit, whose cosine schedule
/// of p is unused and whose test `random() > acos(1 − 2p)` cuts every time for p ≥ 0.23).
///
/// Evaluation at `context.evaluation.width` w < 1 keeps the first c = max(1, round(w·F)) features (round half away
/// from zero) scaled by F/c and zeroes the rest, the training rule (the reference's `eval_size` with zero padding);
/// w = 1 is the identity. Rate 0 is the identity in training. Taxonomy: architecture.
public final class StructuralDropout: MaskLayer {
  public let rate: Double
  public let lower: Double
  public let step: Int

  /// `rate` in [0, 1], `lower` in (0, 1], `step ≥ 1` (see `descriptor.validate`).
  public init(rate: Double = 0.5, lower: Double = 0.1, step: Int = 1, stream: UInt64 = 0) {
    precondition(
      (0...1).contains(rate) && lower > 0 && lower <= 1 && step >= 1, "StructuralDropout: invalid parameters")
    self.rate = rate
    self.lower = lower
    self.step = step
    super.init(stream: stream)
  }

  /// The cut indices c a training forward chooses from: range(c_min, F, step).
  public static func cutChoices(features f: Int, lower: Double, step: Int) -> [Int] {
    let smallest = max(1, Int((lower * Double(f) - 1e-9).rounded(.up)))
    return Array(stride(from: smallest, to: f, by: step))
  }

  /// The cut of one training forward, or nil when it keeps every feature.
  public static func cut(features f: Int, rate: Double, lower: Double, step: Int, key: RandomKey) -> Int? {
    let choices = cutChoices(features: f, lower: lower, step: step)
    guard !choices.isEmpty, Double(key.uniforms(1)[0]) < rate else { return nil }
    return choices[key.uniformInt(1, below: choices.count)]
  }

  /// The features kept when evaluating at `width`, or nil for all of them.
  public static func evaluationCut(features f: Int, width: Double) -> Int? {
    guard width < 1 else { return nil }
    let kept = min(f, max(1, Int((width * Double(f)).rounded())))
    return kept < f ? kept : nil
  }

  /// Per-feature factors: F/c for the first c features, 0 for the rest.
  public static func factors(features f: Int, cut c: Int) -> [Float] {
    let scale = Float(Double(f) / Double(c))
    return (0..<f).map { $0 < c ? scale : 0 }
  }

  /// The exact expected fraction of zeroed values: rate · mean over the choices c of (F − c)/F.
  public static func expectedDropFraction(features f: Int, rate: Double, lower: Double, step: Int) -> Double {
    let choices = cutChoices(features: f, lower: lower, step: step)
    guard !choices.isEmpty else { return 0 }
    let mean = choices.map { Double(f - $0) / Double(f) }.reduce(0, +) / Double(choices.count)
    return rate * mean
  }

  public override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
    let f = shape.last ?? 1
    let c: Int? =
      switch context.mode {
      case .train: rate > 0 ? Self.cut(features: f, rate: rate, lower: lower, step: step, key: key) : nil
      case .eval: Self.evaluationCut(features: f, width: context.evaluation.width)
      }
    guard let c else { return nil }
    let row = Self.factors(features: f, cut: c)
    return .perChannel(Array([[Float]](repeating: row, count: shape[0]).joined()), channels: f)
  }
}

extension StructuralDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "structural-dropout", taxonomy: .architecture,
    summary: "With probability rate, zeroes every feature from a random index c on (one cut per batch), the rest "
      + "scaled by F/c; evaluable at any width.",
    citation: "Knodt, Structural Dropout for Model Width Compression (github.com/JulianKnodt/structural_dropout)",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true),
        defaultValue: .double(0.5),
        doc: "probability that a forward cuts (the reference's p, default 0.5); 0 is the identity."),
      ParameterDescription(
        name: "lower", kind: .double(min: 0, max: 1, minInclusive: false, maxInclusive: true),
        defaultValue: .double(0.1),
        doc: "smallest kept width as a fraction of F: c_min = max(1, ⌈lower·F⌉); 1 never cuts."),
      ParameterDescription(
        name: "step", kind: .int(min: 1, max: nil), defaultValue: .int(1),
        doc: "spacing of the cut indices c ∈ range(c_min, F, step)."),
    ],
    plugsInto: .activation,
    identity: ["rate": .double(0)],
    expectations: { params, site in
      let f = site.shape.last ?? 1
      let drop = expectedDropFraction(
        features: f, rate: params.double("rate"), lower: params.double("lower"), step: params.int("step"))
      return [.dropFraction(drop), .keptValueRenormalised, .evaluationIdentity]
    },
    build: { params, site in
      .layer(
        StructuralDropout(
          rate: params.double("rate"), lower: params.double("lower"), step: params.int("step"), stream: site.stream))
    })
}

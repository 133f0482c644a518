import NN
import Tensor

/// DropPath as in timm (`timm/layers/drop.py`, `drop_path` with `scale_by_keep = True`): per-sample residual
/// drop, Stochastic Depth applied to each sample of a mini-batch independently (the form used by FractalNet-style
/// drop-path and vision transformers).
///
/// In training, sample n's branch is dropped when uniform draw n of the step key folded with the site's stream is
/// below `rate`, and otherwise kept and scaled by 1/(1 − rate) (`.perSample` factors 0 or 1/(1 − rate)); the
/// branch is still computed for the whole batch. Evaluation is the plain block (`.keep(1)`); rate 0 is the plain
/// block in training too. Taxonomy: architecture.
public final class DropPath: BranchGate {
  public let rate: Double
  public let stream: UInt64

  /// `rate` in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "DropPath: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.stream = stream
  }

  /// The per-sample keep mask (1 kept, 0 dropped) for a batch of `batch`: the same draws as `Dropout.mask`.
  public static func keepMask(batch: Int, rate: Double, key: RandomKey) -> [Float] {
    Dropout.mask(count: batch, rate: rate, key: key)
  }

  public func decide(batch: Int, _ context: StepContext) -> BranchDecision {
    guard context.mode == .train, rate > 0 else { return .keep(1) }
    let scale = Dropout.keepScale(rate: rate)
    return .perSample(Self.keepMask(batch: batch, rate: rate, key: context.key.fold(stream)).map { $0 * scale })
  }

  public var constantAtEvaluation: Bool { true }
}

extension DropPath {
  public static let descriptor = RegularizerDescriptor(
    name: "drop-path", taxonomy: .architecture,
    summary: "Drops each sample's residual branch with probability rate, kept branches scaled by 1/(1 − rate).",
    citation: "timm DropPath (Wightman, pytorch-image-models, timm/layers/drop.py); after Huang et al., ECCV 2016",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.1),
        doc: "probability that a sample's branch is dropped (timm's drop_prob); 0 is the identity.")
    ],
    plugsInto: .branch,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in .gate(DropPath(rate: params.double("rate"), stream: site.stream)) })
}

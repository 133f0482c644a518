import Foundation
import NN
import Tensor

/// Xie, Xie, Zhang et al., "FocusedDropout for Convolutional Neural Network", Applied Sciences 2021 (seed 001).
///
/// A non-random dropout that keeps what the net attends to. On an NHWC map `[N, H, W, C]`, in a training step
/// chosen with probability `batch_fraction` (the paper's 10% of batches; draw 0 of the step key folded with the
/// site's stream, below the fraction), per sample: the reference channel is the argmax of global average pooling
/// (first on ties); its peak activation is found; a threshold γ·peak with γ ~ U[`low`, `high`] (the paper's
/// [0.3, 0.6]; draw 1 + n for sample n) keeps the positions whose reference activation exceeds it and drops every
/// other position in every channel (one spatial mask for all channels). No rescaling (the paper describes none:
/// the method keeps a focus, it is not an inverted dropout). Steps not chosen, and evaluation, are the identity.
/// A sample whose reference channel is ≤ 0 everywhere (a dead map) is left untouched rather than wiped out.
///
/// The paper pairs it with a larger weight decay (its auxiliary trick); that is the run's `train.weight_decay`,
/// so a spec can separate the two. Taxonomy: architecture.
public final class FocusedDropout: MaskLayer {
  public let batchFraction: Double
  public let low: Double
  public let high: Double

  public init(batchFraction: Double, low: Double, high: Double, stream: UInt64 = 0) {
    precondition(batchFraction >= 0 && batchFraction <= 1 && low >= 0 && low <= high && high <= 1,
      "FocusedDropout: invalid parameters")
    self.batchFraction = batchFraction
    self.low = low
    self.high = high
    super.init(stream: stream)
  }

  /// The reference channel of one sample: the channel with the largest spatial mean (first on ties).
  public static func referenceChannel(_ x: UnsafeBufferPointer<Float>, offset: Int, positions: Int, c: Int) -> Int {
    var best = 0
    var bestSum = -Double.infinity
    for ch in 0..<c {
      var sum = 0.0
      for p in 0..<positions { sum += Double(x[offset + p * c + ch]) }
      if sum > bestSum {
        bestSum = sum
        best = ch
      }
    }
    return best
  }

  public override func mask(input x: Tensor, context: StepContext, key: RandomKey) -> Mask? {
    guard context.mode == .train, batchFraction > 0 else { return nil }
    precondition(x.shape.count == 4, "FocusedDropout: expected an NHWC map [N, H, W, C], got \(x.shape)")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let u = key.uniforms(1 + n)
    guard Double(u[0]) < batchFraction else { return nil }
    let positions = h * w
    var factors = [Float](repeating: 1, count: n * positions * c)
    x.withUnsafeBufferPointer { xs in
      for s in 0..<n {
        let offset = s * positions * c
        let ref = Self.referenceChannel(xs, offset: offset, positions: positions, c: c)
        var peak = -Float.infinity
        for p in 0..<positions { peak = max(peak, xs[offset + p * c + ref]) }
        guard peak > 0 else { continue }
        let threshold = Float(low + (high - low) * Double(u[1 + s])) * peak
        for p in 0..<positions where !(xs[offset + p * c + ref] > threshold) {
          for ch in 0..<c { factors[offset + p * c + ch] = 0 }
        }
      }
    }
    return .elementwise(factors)
  }
}

extension FocusedDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "focused-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .activations),
    summary: "On a fraction of batches, keeps only the positions where the strongest channel is near its peak.",
    citation: "Xie et al., FocusedDropout for Convolutional Neural Network, Applied Sciences 2021",
    parameters: [
      ParameterDescription(
        name: "batch_fraction", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true),
        defaultValue: .double(0.1), doc: "fraction of training steps it acts in (the paper's 10%); 0: never."),
      ParameterDescription(
        name: "low", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true), defaultValue: .double(0.3),
        doc: "lower end of the threshold fraction γ ~ U[low, high] of the reference channel's peak."),
      ParameterDescription(
        name: "high", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true), defaultValue: .double(0.6),
        doc: "upper end of γ (the paper's [0.3, 0.6])."),
    ],
    plugsInto: .featureMap, identity: ["batch_fraction": .double(0)],
    check: { params, _ in
      params.double("low") > params.double("high")
        ? "focused-dropout: low (\(params.double("low"))) must not exceed high (\(params.double("high")))." : nil
    },
    expectations: { _, _ in [.keptValue(1), .spatialStructure, .evaluationIdentity] },
    build: { params, site in
      .layer(
        FocusedDropout(
          batchFraction: params.double("batch_fraction"), low: params.double("low"), high: params.double("high"),
          stream: site.stream))
    })
}

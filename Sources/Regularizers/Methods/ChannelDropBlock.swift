import Foundation
import NN
import Tensor

/// Ding et al., "Channel DropBlock: An Improved Regularization Method for Fine-Grained Visual Classification",
/// BMVC 2021 (seed 001, §3.2–3.3).
///
/// On an NHWC map `[N, H, W, C]`, per sample: a C × C channel correlation matrix; one row — a seed channel drawn
/// uniformly (draw n of the step key folded with the site's stream) — picks the dropped group: the seed channel
/// and the channels most correlated with it, k = ⌊C · rate⌋ channels in all (the seed first; ties by channel
/// index). The group is zeroed in every position; the kept channels are scaled by 1/(1 − rate) (the seed's
/// reading, "rescale like dropout"). Training only; evaluation is the identity.
///
/// Metrics (§3.3):
/// - `max-activation`: each channel is smoothed by a 3 × 3 average pool (stride 1, zero padding, divided by 9) and
///   reduced to the position (row, column) of its peak (first on ties); correlation falls with the Euclidean
///   distance between two channels' peaks — channels peaking at the same place form a group. The paper's rate 0.2.
/// - `cosine` (the paper's bilinear pooling metric): rows of the C × HW matrix L2-normalised, M = N(X)·N(X)ᵀ. The
///   paper's rate 0.05.
/// A dead (all-zero) channel has cosine 0 with every other (norms guarded), and its peak is position 0.
/// Taxonomy: architecture.
public final class ChannelDropBlock: MaskLayer {
  public enum Metric: String, Sendable, CaseIterable {
    case maxActivation = "max-activation"
    case cosine
  }

  public let rate: Double
  public let metric: Metric

  /// `rate` in [0, 1).
  public init(rate: Double, metric: Metric, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "Channel DropBlock: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.metric = metric
    super.init(stream: stream)
  }

  /// Channels dropped per sample.
  public static func groupSize(channels: Int, rate: Double) -> Int { Int((Double(channels) * rate).rounded(.down)) }

  /// Each channel's smoothed peak position (row, column) in one sample's `[H, W, C]` map `x` (starting at `offset`).
  public static func peaks(_ x: UnsafeBufferPointer<Float>, offset: Int, h: Int, w: Int, c: Int) -> [(Int, Int)] {
    (0..<c).map { ch in
      var best = -Float.infinity
      var at = (0, 0)
      for i in 0..<h {
        for j in 0..<w {
          var sum: Float = 0
          for di in -1...1 {
            for dj in -1...1 {
              let (a, b) = (i + di, j + dj)
              if a >= 0, a < h, b >= 0, b < w { sum += x[offset + (a * w + b) * c + ch] }
            }
          }
          if sum / 9 > best {
            best = sum / 9
            at = (i, j)
          }
        }
      }
      return at
    }
  }

  /// Correlation of every channel with channel `seed` in one sample (larger = more correlated).
  public static func correlations(
    _ x: UnsafeBufferPointer<Float>, offset: Int, h: Int, w: Int, c: Int, seed: Int, metric: Metric
  ) -> [Double] {
    switch metric {
    case .maxActivation:
      let p = peaks(x, offset: offset, h: h, w: w, c: c)
      return p.map { q in
        let (dy, dx) = (Double(q.0 - p[seed].0), Double(q.1 - p[seed].1))
        return -(dy * dy + dx * dx).squareRoot()
      }
    case .cosine:
      func norm(_ ch: Int) -> Double {
        var sq = 0.0
        for pos in 0..<(h * w) { sq += Double(x[offset + pos * c + ch]) * Double(x[offset + pos * c + ch]) }
        return max(sq.squareRoot(), 1e-12)
      }
      let seedNorm = norm(seed)
      return (0..<c).map { ch in
        var dot = 0.0
        for pos in 0..<(h * w) { dot += Double(x[offset + pos * c + ch]) * Double(x[offset + pos * c + seed]) }
        return dot / (seedNorm * norm(ch))
      }
    }
  }

  /// The k channels dropped for `seed`: the seed, then the most correlated others (ties by index).
  public static func group(correlations: [Double], seed: Int, k: Int) -> [Int] {
    guard k > 0 else { return [] }
    let others = correlations.indices.filter { $0 != seed }.sorted {
      correlations[$0] != correlations[$1] ? correlations[$0] > correlations[$1] : $0 < $1
    }
    return Array(([seed] + others).prefix(k))
  }

  public override func mask(input x: Tensor, context: StepContext, key: RandomKey) -> Mask? {
    guard context.mode == .train, rate > 0 else { return nil }
    precondition(x.shape.count == 4, "Channel DropBlock: expected an NHWC map [N, H, W, C], got \(x.shape)")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let k = Self.groupSize(channels: c, rate: rate)
    let scale = Float(1 / (1 - rate))
    var factors = [Float](repeating: scale, count: n * c)
    let u = key.uniforms(n)
    x.withUnsafeBufferPointer { xs in
      for s in 0..<n {
        let seed = min(c - 1, Int(Double(u[s]) * Double(c)))
        let r = Self.correlations(xs, offset: s * h * w * c, h: h, w: w, c: c, seed: seed, metric: metric)
        for ch in Self.group(correlations: r, seed: seed, k: k) { factors[s * c + ch] = 0 }
      }
    }
    return .perChannel(factors, channels: c)
  }
}

extension ChannelDropBlock {
  public static let descriptor = RegularizerDescriptor(
    name: "channel-dropblock", taxonomy: .architecture, traits: Traits(dependsOn: .activations),
    summary: "Zeroes a random channel and the channels most correlated with it (⌊C·rate⌋ in all), per sample.",
    citation: "Ding et al., Channel DropBlock, BMVC 2021",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.2),
        doc: "fraction of channels in the dropped group (the paper: 0.2 with max-activation, 0.05 with cosine); "
          + "kept channels scaled by 1/(1 − rate)."),
      ParameterDescription(
        name: "metric", kind: .choice(Metric.allCases.map(\.rawValue)), defaultValue: .string("max-activation"),
        doc: "max-activation: channels whose smoothed peaks lie close; cosine: the bilinear-pooling similarity."),
    ],
    plugsInto: .featureMap, identity: ["rate": .double(0)],
    expectations: { params, site in
      let rate = params.double("rate")
      let k = groupSize(channels: site.shape[2], rate: rate)
      return [
        .dropFraction(Double(k) / Double(site.shape[2])), .keptValue(1 / (1 - rate)), .channelStructure,
        .evaluationIdentity,
      ]
    },
    build: { params, site in
      .layer(
        ChannelDropBlock(
          rate: params.double("rate"), metric: Metric(rawValue: params.string("metric"))!, stream: site.stream))
    })
}

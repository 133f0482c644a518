import NN
import Tensor

/// Heuristic Dropout (seed note 001; reference code github.com/sdc17/HeuristicDropout, `HeuristicDropout.py`).
///
/// Per sample and channel of an NHWC map, score = H + k / (Var + 1e-7), where
/// - H is the entropy, in nats, of the histogram of q = round(10 · tanh(x)) over the bins q = 0, 1, …, 10. As in
///   the reference (`count_nonzero(q == arange(0, 11))`), negative q are not counted in any bin (not clipped into
///   bin 0); the histogram is normalised by the counted values only. A channel with no value in the bins has H = 0
///   (the reference would produce NaN). Rounding is half-to-even, like `torch.round`.
/// - Var is the unbiased (Bessel-corrected, `torch.var`'s default) variance over H × W; 0 for a 1 × 1 map.
/// The round(fraction · C) channels with the highest scores (half-to-even, like Python's `round`; ties to the lower
/// channel index) are replaced by their 8-neighbour Laplacian [[−1,−1,−1],[−1,8,−1],[−1,−1,−1]] (the reference's
/// kernel), zero padding, same size, no rescaling. Evaluation is the identity.
///
/// `replacement = .zeros` is the ablation the paper reports (seed 001: "using a 3×3 Laplace filter instead of an
/// all-zero filter as the drop mask brings a small improvement"): the chosen channels are zeroed instead, as a
/// plain channel dropout would, still without rescaling.
///
/// `selection = .probabilistic` is the paper text's reading ("dropped with higher probability"): the same number
/// of channels is sampled without replacement with probability proportional to the score (scores are ≥ 0; all
/// zero gives a uniform draw). Proportional rather than softmax, because the variance term reaches k·10⁷ for
/// near-constant channels and a softmax would then be a hard argmax. Taxonomy: architecture.
public final class HeuristicDropout: Layer {
  public enum Selection: String, Sendable, CaseIterable {
    case top
    case probabilistic
  }

  /// What a chosen channel becomes.
  public enum Replacement: String, Sendable, CaseIterable {
    case laplacian
    case zeros
  }

  public static let kernel: [[Float]] = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
  static let bins = 10

  public let k: Double
  public let fraction: Double
  public let selection: Selection
  public let replacement: Replacement
  public let stream: UInt64
  /// Channels replaced per sample in the last training forward, or nil when that forward was the identity.
  private var chosen: [[Int]]?

  /// `k ≥ 0`, `fraction` in (0, 1] (see `descriptor.validate`).
  public init(
    k: Double = 2, fraction: Double = 0.1, selection: Selection = .top, replacement: Replacement = .laplacian,
    stream: UInt64 = 0
  ) {
    precondition(k >= 0 && fraction > 0 && fraction <= 1, "HeuristicDropout: k \(k) or fraction \(fraction) invalid")
    self.k = k
    self.fraction = fraction
    self.selection = selection
    self.replacement = replacement
    self.stream = stream
  }

  /// Scores of an NHWC tensor `[N, H, W, C]`, row-major `[N, C]`.
  public static func scores(_ x: Tensor, k: Double) -> [Double] {
    precondition(x.rank == 4, "HeuristicDropout: expected [N, H, W, C], got \(x.shape)")
    let (n, c) = (x.shape[0], x.shape[3])
    let positions = x.shape[1] * x.shape[2]
    var result = [Double](repeating: 0, count: n * c)
    var histogram = [Int](repeating: 0, count: c * (bins + 1))
    var mean = [Double](repeating: 0, count: c)
    var squares = [Double](repeating: 0, count: c)
    x.withUnsafeBufferPointer { xs in
      for sample in 0..<n {
        let base = sample * positions * c
        for i in 0..<c {
          mean[i] = 0
          squares[i] = 0
        }
        for i in histogram.indices { histogram[i] = 0 }
        for p in 0..<positions {
          for channel in 0..<c {
            let v = xs[base + p * c + channel]
            mean[channel] += Double(v)
            let q = (tanhf32(v) * Float(bins)).rounded(.toNearestOrEven)
            if q >= 0 { histogram[channel * (bins + 1) + Int(q)] += 1 }
          }
        }
        for channel in 0..<c { mean[channel] /= Double(positions) }
        for p in 0..<positions {
          for channel in 0..<c {
            let d = Double(xs[base + p * c + channel]) - mean[channel]
            squares[channel] += d * d
          }
        }
        for channel in 0..<c {
          let variance = positions > 1 ? squares[channel] / Double(positions - 1) : 0
          let counts = histogram[(channel * (bins + 1))..<((channel + 1) * (bins + 1))]
          result[sample * c + channel] = entropy(counts) + k / (variance + 1e-7)
        }
      }
    }
    return result
  }

  /// Entropy in nats of a histogram given by its counts; 0 for an empty histogram.
  public static func entropy(_ counts: some Collection<Int>) -> Double {
    let total = Double(counts.reduce(0, +))
    guard total > 0 else { return 0 }
    var h = 0.0
    for count in counts where count > 0 {
      let p = Double(count) / total
      h -= p * Masking.logarithm(p)
    }
    return h
  }

  /// round(fraction · channels), half to even.
  public static func selectedCount(channels: Int, fraction: Double) -> Int {
    Int((fraction * Double(channels)).rounded(.toNearestOrEven))
  }

  /// The channels to replace for each sample, ascending, from `[N, C]` scores. `.top` uses no randomness;
  /// `.probabilistic` uses draw `n·C + j` of `key` for the j-th pick of sample n.
  public static func selectChannels(
    scores: [Double], channels c: Int, fraction: Double, selection: Selection, key: RandomKey
  ) -> [[Int]] {
    let m = selectedCount(channels: c, fraction: fraction)
    return (0..<(c == 0 ? 0 : scores.count / c)).map { sample in
      let row = Array(scores[(sample * c)..<((sample + 1) * c)])
      switch selection {
      case .top:
        let order = (0..<c).sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
        return order.prefix(m).sorted()
      case .probabilistic:
        var remaining = Array(0..<c)
        var picked: [Int] = []
        for j in 0..<m {
          let u = Masking.openUniform(key, sample * c + j)
          let total = remaining.reduce(0.0) { $0 + row[$1] }
          var pick = min(remaining.count - 1, Int(u * Double(remaining.count)))
          if total > 0 && total.isFinite {
            let target = u * total
            var cumulative = 0.0
            pick = remaining.count - 1
            for (i, channel) in remaining.enumerated() {
              cumulative += row[channel]
              if cumulative > target {
                pick = i
                break
              }
            }
          }
          picked.append(remaining.remove(at: pick))
        }
        return picked.sorted()
      }
    }
  }

  /// `x` with channels `channels[n]` of sample n replaced by their Laplacian (zero padding). The stencil is
  /// symmetric, so this is also its own adjoint: the backward of the replacement applied to `dy`.
  public static func laplacian(_ x: Tensor, channels: [[Int]]) -> Tensor {
    let (h, w, c) = (x.shape[1], x.shape[2], x.shape[3])
    var y = x
    x.withUnsafeBufferPointer { xs in
      y.withUnsafeMutableBufferPointer { ys in
        for (sample, chosen) in channels.enumerated() {
          let base = sample * h * w * c
          for channel in chosen {
            for i in 0..<h {
              for j in 0..<w {
                var neighbours: Float = 0
                for di in max(0, i - 1)...min(h - 1, i + 1) {
                  for dj in max(0, j - 1)...min(w - 1, j + 1) { neighbours += xs[base + (di * w + dj) * c + channel] }
                }
                let centre = xs[base + (i * w + j) * c + channel]
                ys[base + (i * w + j) * c + channel] = 9 * centre - neighbours
              }
            }
          }
        }
      }
    }
    return y
  }

  /// `x` with channels `channels[n]` of sample n set to zero (its own adjoint too).
  public static func zeroed(_ x: Tensor, channels: [[Int]]) -> Tensor {
    let c = x.shape[3]
    let positions = x.shape[1] * x.shape[2]
    var y = x
    y.withUnsafeMutableBufferPointer { ys in
      for (sample, chosen) in channels.enumerated() {
        for p in 0..<positions {
          for channel in chosen { ys[(sample * positions + p) * c + channel] = 0 }
        }
      }
    }
    return y
  }

  private func replaced(_ x: Tensor, _ channels: [[Int]]) -> Tensor {
    switch replacement {
    case .laplacian: Self.laplacian(x, channels: channels)
    case .zeros: Self.zeroed(x, channels: channels)
    }
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .train else {
      chosen = nil
      return x
    }
    let selected = Self.selectChannels(
      scores: Self.scores(x, k: k), channels: x.shape[3], fraction: fraction, selection: selection,
      key: context.key.fold(stream))
    chosen = selected
    return replaced(x, selected)
  }

  /// Unchosen channels pass `dy`; chosen ones get the replacement's adjoint of `dy` (the Laplacian of `dy`, or
  /// zero); the choice is treated as a constant.
  public func backward(_ dy: Tensor) -> Tensor {
    guard let chosen else { return dy }
    return replaced(dy, chosen)
  }
}

extension HeuristicDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "heuristic-dropout", taxonomy: .architecture, traits: Traits(stochastic: false, dependsOn: .activations),
    summary: "Replaces the channels with the highest entropy + k/variance score by their 3×3 Laplacian.",
    citation: "Heuristic Dropout (seed note 001), reference code github.com/sdc17/HeuristicDropout",
    parameters: [
      ParameterDescription(
        name: "k", kind: .double(min: 0, max: .infinity, minInclusive: true, maxInclusive: false),
        defaultValue: .double(2), doc: "weight of the inverse-variance term in the score (reference code: 2)."),
      ParameterDescription(
        name: "fraction", kind: .double(min: 0, max: 1, minInclusive: false, maxInclusive: true),
        defaultValue: .double(0.1), doc: "fraction of channels replaced per sample, rounded half to even."),
      ParameterDescription(
        name: "selection", kind: .choice(Selection.allCases.map(\.rawValue)), defaultValue: .string("top"),
        doc: "top: the highest scores (reference code); probabilistic: sampled in proportion to the score."),
      ParameterDescription(
        name: "replacement", kind: .choice(Replacement.allCases.map(\.rawValue)), defaultValue: .string("laplacian"),
        doc: "what a chosen channel becomes: its 3×3 Laplacian (the paper's method) or zeros (the paper's ablation).",
        omittedAtDefault: true),
    ],
    plugsInto: .featureMap,
    expectations: { _, _ in [.evaluationIdentity] },
    build: { params, site in
      .layer(
        HeuristicDropout(
          k: params.double("k"), fraction: params.double("fraction"),
          selection: Selection(rawValue: params.string("selection"))!,
          replacement: Replacement(rawValue: params.string("replacement"))!, stream: site.stream))
    })
}

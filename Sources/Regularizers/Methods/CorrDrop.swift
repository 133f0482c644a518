import Foundation
import NN
import Tensor

/// Zeng, Dai, Li et al., "Correlation-based structural dropout for convolutional neural networks" (CorrDrop,
/// Pattern Recognition 2021); reference code Sandy-Zeng/CorrDrop (`CorrDropBlockDB`, `ChannelDrop`). One file, two
/// registry entries: the spatial and the channel variant.
///
/// **Spatial** (`corrdrop-spatial`), on an NHWC map `[N, H, W, C]`, per sample: average-pool the map into cells of
/// `block_size × block_size` (zero padding of ⌈(bs − H mod bs)/2⌉ when bs does not divide the side, counted in the
/// average, as PyTorch's `AvgPool2d` does); each cell is the C-vector v_i. Its score is its mean absolute cosine
/// with every cell, `F_i = Σ_j |cos(v_i, v_j) − δ_ij| / M` over the M cells (vectors normalised by √(|v|² + 1e-8),
/// so nothing is NaN; a dead cell has cosine 0 with every cell including itself and scores 1/M from the diagonal
/// term, as in the reference). Two draws per cell: a cell is a candidate unless Bernoulli(softmax(F)_i)
/// fires — so the MORE correlated cells are spared more often and the LESS correlated ones dropped more
/// (the reference's `1 − Bernoulli(softmax(F))`) — and a candidate is dropped when Bernoulli(γ) fires, with
/// γ = min(1, γ_b / mean(candidates)) over the whole batch and DropBlock's γ_b = rate/bs² · H·W / M, so that the
/// expected fraction of dropped cells is γ_b whatever the scores. The cell's keep/drop covers its positions in
/// every channel (one spatial mask for all channels); the output is renormalised by count / kept over the batch's
/// mask, as in DropBlock (all dropped: zeros, never 0/0). Reading chosen where the reference is loose: the mask is
/// aligned with the cells it was scored on (the reference crops the upsampled mask from its top-left corner, which
/// shifts it by the padding when bs does not divide the side).
///
/// **Channel** (`corrdrop-channel`): the same with channels as the items — v_c is channel c's H·W map, scores over
/// the C channels, γ = min(1, rate / mean(candidates)), whole channels dropped per sample, renormalised.
///
/// **Ramp**: as the reference, the rate rises linearly from 0 at step 0 to `rate` at step `ramp_steps − 1`
/// (its `linspace(0, p, 200)`, one value per training iteration); 0 disables it. Evaluation is the identity. The
/// drops depend on the activations but the mask is a constant of the backward pass (a sampled mask has no gradient
/// in the reference either). Draws: uniform `i` of the step key folded with the site's stream is the candidate
/// draw of item i (sample-major), uniform `count + i` its γ draw. Taxonomy: architecture.
public final class CorrDrop: MaskLayer {
  public enum Variant: String, Sendable {
    case spatial
    case channel
  }

  public let variant: Variant
  public let rate: Double
  public let blockSize: Int
  public let rampSteps: Int

  /// `rate` in [0, 1); `blockSize ≥ 1` (spatial only); `rampSteps ≥ 0`.
  public init(variant: Variant, rate: Double, blockSize: Int = 5, rampSteps: Int = 200, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1 && blockSize >= 1 && rampSteps >= 0, "CorrDrop: invalid parameters")
    self.variant = variant
    self.rate = rate
    self.blockSize = blockSize
    self.rampSteps = rampSteps
    super.init(stream: stream)
  }

  /// The rate in force at training step `step`: linear from 0 over the first `rampSteps` steps.
  public static func rampedRate(_ rate: Double, step: Int, rampSteps: Int) -> Double {
    guard rampSteps > 1 else { return rate }
    return rate * min(1, Double(max(0, step)) / Double(rampSteps - 1))
  }

  /// The cell grid of a side of `size` for block `bs`: (cells, padding before the first cell).
  public static func cells(size: Int, blockSize bs: Int) -> (count: Int, padding: Int) {
    let pad = size % bs == 0 ? 0 : (bs - size % bs + 1) / 2
    return ((size + 2 * pad - bs) / bs + 1, pad)
  }

  /// `F_i = Σ_j |cos(v_i, v_j) − δ_ij| / M` for the M vectors `rows` (each of length `dim`, row-major).
  public static func correlationScores(_ rows: [Float], count m: Int, dim: Int) -> [Double] {
    var unit = [Double](repeating: 0, count: m * dim)
    for i in 0..<m {
      var sq = 0.0
      for d in 0..<dim { sq += Double(rows[i * dim + d]) * Double(rows[i * dim + d]) }
      let norm = (sq + 1e-8).squareRoot()
      for d in 0..<dim { unit[i * dim + d] = Double(rows[i * dim + d]) / norm }
    }
    return (0..<m).map { i in
      var total = 0.0
      for j in 0..<m {
        var dot = 0.0
        for d in 0..<dim { dot += unit[i * dim + d] * unit[j * dim + d] }
        total += abs(dot - (i == j ? 1 : 0))
      }
      return total / Double(m)
    }
  }

  /// softmax of `scores`.
  public static func softmax(_ scores: [Double]) -> [Double] {
    let top = scores.max() ?? 0
    let e = scores.map { exp($0 - top) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
  }

  /// Which items are dropped, given each sample's items' softmax probabilities (`probabilities[n][i]`) and the
  /// target fraction `target` of dropped items: candidates by the first draws, then Bernoulli(γ) among them.
  public static func dropped(probabilities: [[Double]], target: Double, key: RandomKey) -> [[Bool]] {
    let perSample = probabilities.first?.count ?? 0
    let count = probabilities.count * perSample
    guard count > 0, target > 0 else { return probabilities.map { $0.map { _ in false } } }
    let u = key.uniforms(2 * count)
    var candidate = [Bool](repeating: false, count: count)
    for (n, p) in probabilities.enumerated() {
      for i in 0..<perSample { candidate[n * perSample + i] = !(Double(u[n * perSample + i]) < p[i]) }
    }
    let candidates = candidate.filter { $0 }.count
    let gamma = candidates == 0 ? 0 : min(1, target / (Double(candidates) / Double(count)))
    return (0..<probabilities.count).map { n in
      (0..<perSample).map { i in
        let k = n * perSample + i
        return candidate[k] && Double(u[count + k]) < gamma
      }
    }
  }

  public override func mask(input x: Tensor, context: StepContext, key: RandomKey) -> Mask? {
    guard context.mode == .train else { return nil }
    let rate = Self.rampedRate(rate, step: context.step, rampSteps: rampSteps)
    guard rate > 0 else { return nil }
    precondition(x.shape.count == 4, "CorrDrop: expected an NHWC map [N, H, W, C], got \(x.shape)")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    switch variant {
    case .channel:
      var probabilities: [[Double]] = []
      x.withUnsafeBufferPointer { xs in
        for s in 0..<n {
          // Channel-major copy: row ch is channel ch's H·W map.
          var rows = [Float](repeating: 0, count: c * h * w)
          for p in 0..<(h * w) { for ch in 0..<c { rows[ch * h * w + p] = xs[(s * h * w + p) * c + ch] } }
          probabilities.append(Self.softmax(Self.correlationScores(rows, count: c, dim: h * w)))
        }
      }
      let drops = Self.dropped(probabilities: probabilities, target: rate, key: key)
      var factors = drops.flatMap { $0.map { $0 ? Float(0) : 1 } }
      Self.renormalise(&factors)
      return .perChannel(factors, channels: c)
    case .spatial:
      let bs = min(blockSize, h, w)
      let (rowsOfCells, padH) = Self.cells(size: h, blockSize: bs)
      let (colsOfCells, padW) = Self.cells(size: w, blockSize: bs)
      let m = rowsOfCells * colsOfCells
      func cell(_ i: Int, _ j: Int) -> Int { ((i + padH) / bs) * colsOfCells + (j + padW) / bs }
      var probabilities: [[Double]] = []
      x.withUnsafeBufferPointer { xs in
        for s in 0..<n {
          var cellMeans = [Float](repeating: 0, count: m * c)
          for i in 0..<h {
            for j in 0..<w {
              let k = cell(i, j)
              for ch in 0..<c { cellMeans[k * c + ch] += xs[((s * h + i) * w + j) * c + ch] }
            }
          }
          let area = Float(bs * bs)
          for k in cellMeans.indices { cellMeans[k] /= area }
          probabilities.append(Self.softmax(Self.correlationScores(cellMeans, count: m, dim: c)))
        }
      }
      let target = rate / Double(bs * bs) * Double(h * w) / Double(m)
      let drops = Self.dropped(probabilities: probabilities, target: target, key: key)
      var factors = [Float](repeating: 1, count: n * h * w * c)
      for s in 0..<n {
        for i in 0..<h {
          for j in 0..<w where drops[s][cell(i, j)] {
            let start = ((s * h + i) * w + j) * c
            for ch in 0..<c { factors[start + ch] = 0 }
          }
        }
      }
      Self.renormalise(&factors)
      return .elementwise(factors)
    }
  }

  /// Multiplies the kept factors by count / kept (the whole draw's), or leaves all zeros.
  static func renormalise(_ factors: inout [Float]) {
    let kept = factors.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
    guard kept > 0, kept < factors.count else { return }
    let scale = Float(Double(factors.count) / Double(kept))
    for i in factors.indices where factors[i] != 0 { factors[i] = scale }
  }
}

extension CorrDrop {
  static let rampParameter = ParameterDescription(
    name: "ramp_steps", kind: .int(min: 0, max: 1_000_000), defaultValue: .int(200),
    doc: "steps over which the rate rises linearly from 0 (the reference's 200 iterations); 0: none.")

  static func rateParameter(_ doc: String) -> ParameterDescription {
    ParameterDescription(
      name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.2),
      doc: doc)
  }

  public static let spatialDescriptor = RegularizerDescriptor(
    name: "corrdrop-spatial", taxonomy: .architecture, traits: Traits(dependsOn: .activations),
    summary: "Drops block-sized cells of a feature map, the less correlated with the other cells the more often.",
    citation: "Zeng et al., Correlation-based structural dropout for CNNs (CorrDrop), Pattern Recognition 2021",
    parameters: [
      rateParameter("target fraction of positions dropped (the paper's 0.2), renormalised."),
      ParameterDescription(
        name: "block_size", kind: .int(min: 1, max: 64), defaultValue: .int(5),
        doc: "side of the pooled cells scored and dropped together (the paper's 5)."),
      rampParameter,
    ],
    plugsInto: .featureMap, identity: ["rate": .double(0)],
    check: { params, site in
      let bs = params.int("block_size")
      return bs > min(site.shape[0], site.shape[1])
        ? "corrdrop-spatial: block_size \(bs) is larger than the \(site.shape[0])×\(site.shape[1]) map at '\(site.name)'."
        : nil
    },
    expectations: { params, site in
      let (bs, h, w) = (params.int("block_size"), site.shape[0], site.shape[1])
      let m = cells(size: h, blockSize: bs).count * cells(size: w, blockSize: bs).count
      let fraction = min(1, params.double("rate") / Double(bs * bs) * Double(h * w) / Double(m))
      var e: [Expectation] = [.dropFraction(fraction), .keptValueRenormalised, .spatialStructure, .evaluationIdentity]
      if h % bs == 0, w % bs == 0 { e.append(.blockStructure(bs)) }
      return e
    },
    build: { params, site in
      .layer(
        CorrDrop(
          variant: .spatial, rate: params.double("rate"), blockSize: params.int("block_size"),
          rampSteps: params.int("ramp_steps"), stream: site.stream))
    })

  public static let channelDescriptor = RegularizerDescriptor(
    name: "corrdrop-channel", taxonomy: .architecture, traits: Traits(dependsOn: .activations),
    summary: "Drops whole channels, the less correlated with the other channels the more often.",
    citation: "Zeng et al., Correlation-based structural dropout for CNNs (CorrDrop), Pattern Recognition 2021",
    parameters: [rateParameter("target fraction of channels dropped, renormalised."), rampParameter],
    plugsInto: .featureMap, identity: ["rate": .double(0)],
    expectations: { params, _ in
      [.dropFraction(params.double("rate")), .keptValueRenormalised, .channelStructure, .evaluationIdentity]
    },
    build: { params, site in
      .layer(
        CorrDrop(
          variant: .channel, rate: params.double("rate"), rampSteps: params.int("ramp_steps"), stream: site.stream))
    })
}

import Foundation
import NN
import Tensor

/// Wan, Zeiler, Zhang, LeCun & Fergus, "Regularization of Neural Networks using DropConnect", ICML 2013.
///
/// In training, each weight of a fully connected layer's matrix W `[out, in]` is zeroed independently with
/// probability `rate`, one mask per mini-batch for the whole matrix (value i is dropped when uniform draw i of the
/// step key folded with the site's stream is below `rate`, the same draws as `Dropout.mask`), and kept weights are
/// scaled by 1/(1 − rate): the layer computes y = x·(W ⊙ M/(1 − rate))ᵀ + b. The bias is not masked. The gradient
/// with respect to W is the gradient with respect to the masked weights times the same scaled mask.
///
/// Evaluation follows `context.evaluation.inference`:
/// - `standard`: the mean rule, y = x·Wᵀ + b with the raw weights (the expectation of the training weights).
/// - `gaussian`: the paper's moment matching. Unit u's pre-activation is taken as N(μ, σ²) with μ = x·W_uᵀ + b_u
///   and σ² = Σ_j x_j² W_uj² · rate/(1 − rate) (the variance of the inverted-scaled mask). When a ReLU follows the
///   layer (`site.followedByReLU`) the output is E[max(0, u)] = μΦ(μ/σ) + σφ(μ/σ) in closed form (max(0, μ) when
///   σ = 0), which the following ReLU leaves unchanged; the paper averages samples of this Gaussian instead.
///   Without a ReLU the output is μ, the standard rule.
/// Rate 0 is the identity. Taxonomy: architecture.
///
/// `per_sample` (an option; the paper's definition, its Eq. 2, draws a mask per example): sample n of the batch
/// uses its own mask M_n, draws n·|W| … (n + 1)·|W| − 1 of the same stream (so sample 0's mask is the per-batch
/// mask). No single matrix product can do this: each sample is its own masked matrix–vector product, and the
/// masks are drawn again in the backward pass rather than stored (|W| floats per sample would not fit). It costs
/// about batch × |W| draws per pass — hundreds of times the per-batch mask on the reference MLP — so it is for
/// small layers and specs that need the exact definition.
public final class DropConnect: WeightMask {
  public let rate: Double
  public let followedByReLU: Bool
  public let stream: UInt64
  public let perSample: Bool
  /// Which weights the last training forward kept (1) or dropped (0), nil when that forward was the identity: one
  /// byte a weight, so the backward reads a quarter of what a float mask would cost.
  private var kept: [UInt8]?
  /// The key of the last per-sample training forward.
  private var perSampleKey: RandomKey?

  /// `rate` in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, followedByReLU: Bool = false, stream: UInt64 = 0, perSample: Bool = false) {
    precondition(rate >= 0 && rate < 1, "DropConnect: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.followedByReLU = followedByReLU
    self.stream = stream
    self.perSample = perSample
  }

  public func perSampleForward(input x: Tensor, weight w: Tensor, _ context: StepContext) -> Tensor? {
    guard perSample, context.mode == .train, rate > 0 else { return nil }
    let key = context.key.fold(stream)
    perSampleKey = key
    let (n, out, inFeatures) = (x.rows, w.shape[0], w.shape[1])
    var y = Tensor(shape: [n, out])
    var mask = [Float](repeating: 0, count: w.count)
    var masked = [Float](repeating: 0, count: w.count)
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { yp in
        for r in 0..<n {
          sampleMask(r, count: w.count, key: key, into: &mask)
          Self.multiply(w, mask, into: &masked)
          masked.withUnsafeBufferPointer { mp in
            BLAS.sgemm(
              transA: false, transB: true, m: 1, n: out, k: inFeatures, a: xp.baseAddress! + r * inFeatures,
              lda: inFeatures, b: mp.baseAddress!, ldb: inFeatures, c: yp.baseAddress! + r * out, ldc: out)
          }
        }
      }
    }
    return y
  }

  public func perSampleBackward(_ dy: Tensor, input x: Tensor, weight w: Tensor, inputGradient: Bool) -> (
    input: Tensor, weight: Tensor
  ) {
    let key = perSampleKey!
    let (n, out, inFeatures) = (x.rows, w.shape[0], w.shape[1])
    var dx = Tensor(shape: inputGradient ? x.shape : [0])
    var dW = Tensor(shape: w.shape)
    var mask = [Float](repeating: 0, count: w.count)
    var masked = [Float](repeating: 0, count: w.count)
    x.withUnsafeBufferPointer { xp in
      dy.withUnsafeBufferPointer { g in
        dW.withUnsafeMutableBufferPointer { dw in
          dx.withUnsafeMutableBufferPointer { dxp in
            for r in 0..<n {
              // Sample r's mask drawn again, once, word for word; dW += (dy_r ⊗ x_r) ⊙ M_r·s.
              sampleMask(r, count: w.count, key: key, into: &mask)
              for u in 0..<out {
                let gu = g[r * out + u]
                for j in 0..<inFeatures where mask[u * inFeatures + j] != 0 {
                  dw[u * inFeatures + j] += (gu * xp[r * inFeatures + j]) * mask[u * inFeatures + j]
                }
              }
              guard inputGradient else { continue }
              Self.multiply(w, mask, into: &masked)
              masked.withUnsafeBufferPointer { mp in
                BLAS.sgemm(
                  transA: false, transB: false, m: 1, n: inFeatures, k: out, a: g.baseAddress! + r * out, lda: out,
                  b: mp.baseAddress!, ldb: inFeatures, c: dxp.baseAddress! + r * inFeatures, ldc: inFeatures)
              }
            }
          }
        }
      }
    }
    return (dx, dW)
  }

  /// Sample `r`'s scaled mask (0, or 1/(1 − rate)) into `out`: draws r·count … (r + 1)·count − 1 of `key`, the rule
  /// of `Dropout.mask`.
  private func sampleMask(_ r: Int, count: Int, key: RandomKey, into out: inout [Float]) {
    let (scale, below) = (Dropout.keepScale(rate: rate), Dropout.dropBelow(rate: rate))
    out.withUnsafeMutableBufferPointer { Dropout.fillMask($0, below: below, kept: scale, key: key, offset: r * count) }
  }

  /// w ⊙ mask into `out`, as `Masking.multiply` forms the per-batch masked weights.
  private static func multiply(_ w: Tensor, _ mask: [Float], into out: inout [Float]) {
    w.withUnsafeBufferPointer { wp in for i in 0..<mask.count { out[i] = wp[i] * mask[i] } }
  }

  /// The weight mask scaled by 1/(1 − rate) for `count` weights, drawn from `key` (already folded with the stream).
  public static func scaledMask(count: Int, rate: Double, key: RandomKey) -> [Float] {
    Dropout.mask(count: count, rate: rate, key: key, kept: Dropout.keepScale(rate: rate))
  }

  /// W ⊙ M·s formed as the mask is drawn, in one vectorised pass over chunks of the stream's words: weight i times
  /// s or +0 — the product `Masking.multiply` of W and `scaledMask` forms, bit for bit (tested) — with the kept
  /// flags stored for the backward.
  public func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor? {
    guard context.mode == .train else { return nil }
    guard rate > 0 else {
      kept = nil
      return nil
    }
    let (scale, below) = (Dropout.keepScale(rate: rate), Dropout.dropBelow(rate: rate))
    let count = weight.count
    let key = context.key.fold(stream)
    var flags = [UInt8](repeating: 0, count: count)
    let masked = Tensor(shape: weight.shape) { out in
      weight.withUnsafeBufferPointer { w in
        flags.withUnsafeMutableBufferPointer { k in
          key.forEachWordChunk(count) { start, words in
            Self.apply(
              words.baseAddress!, words.count, below: below, scale: scale, weights: w.baseAddress! + start,
              out: out.baseAddress! + start, flags: k.baseAddress! + start)
          }
        }
      }
    }
    kept = flags
    return masked
  }

  /// out = w · (s or +0) and the kept flag, for `m` words: weight i is dropped when `words[i] >> 8 < below`.
  @inline(__always)
  static func apply(
    _ words: UnsafePointer<UInt32>, _ m: Int, below: UInt32, scale: Float, weights w: UnsafePointer<Float>,
    out: UnsafeMutablePointer<Float>, flags: UnsafeMutablePointer<UInt8>
  ) {
    let (belowV, scaleV, one) = (SIMD8<UInt32>(repeating: below), SIMD8<Float>(repeating: scale), SIMD8<UInt32>(repeating: 1))
    var i = 0
    while i + 8 <= m {
      let dropped = (UnsafeRawPointer(words + i).loadUnaligned(as: SIMD8<UInt32>.self) &>> 8) .< belowV
      let weights = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: weights * scaleV.replacing(with: 0, where: dropped), as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(flags + i).storeBytes(
        of: SIMD8<UInt8>(truncatingIfNeeded: one.replacing(with: 0, where: dropped)), as: SIMD8<UInt8>.self)
      i += 8
    }
    while i < m {
      let dropped = (words[i] >> 8) < below
      out[i] = w[i] * (dropped ? 0 : scale)
      flags[i] = dropped ? 0 : 1
      i += 1
    }
  }

  public func rawGradient(_ gradient: Tensor) -> Tensor {
    guard let kept else { return gradient }
    let scale = Dropout.keepScale(rate: rate)
    return Tensor(shape: gradient.shape) { out in
      gradient.withUnsafeBufferPointer { g in
        kept.withUnsafeBufferPointer { k in for i in 0..<k.count { out[i] = g[i] * Self.factor(k[i], scale) } }
      }
    }
  }

  /// s for a kept weight's flag (1), +0 for a dropped one's (0), without a branch.
  @inline(__always) static func factor(_ flag: UInt8, _ scale: Float) -> Float {
    Float(bitPattern: scale.bitPattern & (0 &- UInt32(flag)))
  }

  /// `grad += g ⊙ M·s` in one pass (the default forms g ⊙ M·s, then adds it: the same two roundings per weight).
  public func accumulateRawGradient(_ gradient: Tensor, into grad: UnsafeMutableBufferPointer<Float>) {
    guard let kept else {
      gradient.withUnsafeBufferPointer { Elementwise.axpy(1, $0, grad) }
      return
    }
    let scale = Dropout.keepScale(rate: rate)
    gradient.withUnsafeBufferPointer { g in
      kept.withUnsafeBufferPointer { k in
        for i in 0..<k.count { grad[i] += g[i] * Self.factor(k[i], scale) }
      }
    }
  }

  public func evaluate(input: Tensor, weight: Tensor, bias: Tensor, _ context: StepContext) -> Tensor? {
    guard context.evaluation.inference == "gaussian", rate > 0 else { return nil }
    return Self.gaussian(input: input, weight: weight, bias: bias, rate: rate, followedByReLU: followedByReLU)
  }

  /// The Gaussian moment-matching output for `input` `[N, in]`, `weight` `[out, in]`, `bias` `[out]`.
  public static func gaussian(input x: Tensor, weight w: Tensor, bias: Tensor, rate: Double, followedByReLU: Bool)
    -> Tensor
  {
    let (n, out, inFeatures) = (x.rows, w.shape[0], w.shape[1])
    let mean = product(x, w, n: n, out: out, inFeatures: inFeatures)
    guard followedByReLU else {
      return Tensor(shape: [n, out]) { y in
        for r in 0..<n {
          for u in 0..<out { y[r * out + u] = mean.storage[r * out + u] + bias.storage[u] }
        }
      }
    }
    let squaredInput = Tensor(shape: x.shape, storage: x.storage.map { $0 * $0 })
    let squaredWeight = Tensor(shape: w.shape, storage: w.storage.map { $0 * $0 })
    let spread = product(squaredInput, squaredWeight, n: n, out: out, inFeatures: inFeatures)
    let varianceFactor = rate / (1 - rate)
    return Tensor(shape: [n, out]) { y in
      for r in 0..<n {
        for u in 0..<out {
          let mu = Double(mean.storage[r * out + u]) + Double(bias.storage[u])
          let sigma = (max(0, Double(spread.storage[r * out + u])) * varianceFactor).squareRoot()
          y[r * out + u] = Float(rectifiedGaussianMean(mu: mu, sigma: sigma))
        }
      }
    }
  }

  /// E[max(0, u)] for u ~ N(μ, σ²): μΦ(μ/σ) + σφ(μ/σ), and max(0, μ) when σ = 0.
  public static func rectifiedGaussianMean(mu: Double, sigma: Double) -> Double {
    guard sigma > 0 else { return max(0, mu) }
    let z = mu / sigma
    let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
    let density = exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
    return mu * cdf + sigma * density
  }

  /// a·bᵀ for a `[n, in]` and b `[out, in]`.
  private static func product(_ a: Tensor, _ b: Tensor, n: Int, out: Int, inFeatures: Int) -> Tensor {
    Tensor(shape: [n, out]) { c in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          BLAS.sgemm(
            transA: false, transB: true, m: n, n: out, k: inFeatures, a: pa.baseAddress!, lda: inFeatures,
            b: pb.baseAddress!, ldb: inFeatures, c: c.baseAddress!, ldc: out)
        }
      }
    }
  }
}

extension DropConnect {
  public static let descriptor = RegularizerDescriptor(
    name: "dropconnect", taxonomy: .architecture,
    summary: "Bernoulli mask on a fully connected layer's weights, one per mini-batch, inverted scaling.",
    citation: "Wan et al., Regularization of Neural Networks using DropConnect, ICML 2013",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.5),
        doc: "drop probability of each weight (the paper's 1 − p); 0 is the identity. Evaluation: the mean rule, or "
          + "the paper's Gaussian moment matching with eval inference gaussian."),
      ParameterDescription(
        name: "per_sample", kind: .bool, defaultValue: .bool(false),
        doc: "one mask per example (the paper's definition; batch × |W| draws per pass, for small layers) instead "
          + "of one per mini-batch", omittedAtDefault: true),
    ],
    plugsInto: .weights,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in
      .weights(
        DropConnect(
          rate: params.double("rate"), followedByReLU: site.followedByReLU, stream: site.stream,
          perSample: params.bool("per_sample")))
    })
}

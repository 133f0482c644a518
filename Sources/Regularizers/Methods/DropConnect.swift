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
public final class DropConnect: WeightMask {
  public let rate: Double
  public let followedByReLU: Bool
  public let stream: UInt64
  /// The scaled mask of the last training forward (nil when that forward was the identity).
  private var applied: [Float]?

  /// `rate` in [0, 1) (see `descriptor.validate`).
  public init(rate: Double, followedByReLU: Bool = false, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "DropConnect: rate \(rate) outside [0, 1)")
    self.rate = rate
    self.followedByReLU = followedByReLU
    self.stream = stream
  }

  /// The weight mask scaled by 1/(1 − rate) for `count` weights, drawn from `key` (already folded with the stream).
  public static func scaledMask(count: Int, rate: Double, key: RandomKey) -> [Float] {
    var mask = Dropout.mask(count: count, rate: rate, key: key)
    mask.withUnsafeMutableBufferPointer { Elementwise.scale(Dropout.keepScale(rate: rate), $0) }
    return mask
  }

  public func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor? {
    guard context.mode == .train else { return nil }
    guard rate > 0 else {
      applied = nil
      return nil
    }
    let mask = Self.scaledMask(count: weight.count, rate: rate, key: context.key.fold(stream))
    applied = mask
    return Masking.multiply(weight, mask)
  }

  public func rawGradient(_ gradient: Tensor) -> Tensor {
    guard let applied else { return gradient }
    return Masking.multiply(gradient, applied)
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
          + "the paper's Gaussian moment matching with eval inference gaussian.")
    ],
    plugsInto: .weights,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in
      .weights(DropConnect(rate: params.double("rate"), followedByReLU: site.followedByReLU, stream: site.stream))
    })
}

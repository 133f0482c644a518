import Foundation
import NN
import Tensor

/// Learnable structured channel dropout — seed 000's idea, which names no source paper: "a learnable C × C matrix M;
/// σ(M) gives per-channel correlated drop probabilities; per sample perturb/drop one channel chosen from σ(M)". The
/// seed is vague; this is its clearest reading, stated so a reader can disagree with it:
///
/// - On an NHWC map `[N, H, W, C]`, per sample a seed channel i is drawn uniformly (draw n of the step key folded
///   with the site's stream). Row i of P = σ(M) gives every channel j its drop probability p_ij: dropping i drops
///   the channels M has learnt to tie to it (the "correlated" part).
/// - Each channel's drop is a relaxed Bernoulli (Concrete, Maddison et al. 2017) at temperature τ, so M gets a
///   gradient: z_j = σ((logit p_ij + log u − log(1 − u)) / τ) with u uniform (draw N + n·C + j), and the channel is
///   multiplied by (1 − z_j) / (1 − rate) — inverted scaling by the target rate, so evaluation is the identity.
/// - A rate penalty λ · (mean(P) − rate)² is added to the loss (a `TrainingHook` loss term), which holds the mean
///   drop probability near the target while M learns which channels to tie together. M starts at logit(rate)
///   everywhere. M is not weight-decayed (`decays: false`): a decay would pull every probability towards one half.
/// - Gradients (checked against finite differences in the tests): dx = dy·(1 − z)/(1 − rate);
///   ∂L/∂M_ij = Σ over the samples seeded at i of −(Σ_positions dy_j·x_j)/(1 − rate) · z_j(1 − z_j)/τ, plus the
///   penalty's 2λ(mean(P) − rate)·p_ij(1 − p_ij)/C².
/// Taxonomy: architecture.
public final class LearnableChannelDropout: Layer, TrainingHook, RowwiseEvaluation {
  public let rate: Double
  public let temperature: Double
  public let penalty: Double
  public let stream: UInt64
  /// M, C × C logits of the drop probabilities (row = seed channel).
  public let logits: Parameter
  private var cache: (x: Tensor, seeds: [Int], z: [Float])?

  public init(channels: Int, rate: Double, temperature: Double = 0.1, penalty: Double = 1, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1 && temperature > 0 && penalty >= 0, "LearnableChannelDropout: bad parameters")
    self.rate = rate
    self.temperature = temperature
    self.penalty = penalty
    self.stream = stream
    let start = rate > 0 ? Float(log(rate / (1 - rate))) : -20
    logits = Parameter(
      name: "learnable-channel-dropout.M", value: Tensor(shape: [channels, channels], storage: Array(
        repeating: start, count: channels * channels)), decays: false)
  }

  public var parameters: [Parameter] { [logits] }

  static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  /// The relaxed drop values z (N × C) for the seeds and uniforms drawn from `key`.
  func relaxedDrops(n: Int, c: Int, key: RandomKey) -> (seeds: [Int], z: [Float]) {
    let u = key.uniforms(n + n * c)
    let seeds = (0..<n).map { min(c - 1, Int(Double(u[$0]) * Double(c))) }
    var z = [Float](repeating: 0, count: n * c)
    logits.value.withUnsafeBufferPointer { m in
      for s in 0..<n {
        for j in 0..<c {
          // Uniform in (0, 1): keep log finite.
          let v = min(max(Double(u[n + s * c + j]), 1e-7), 1 - 1e-7)
          let noise = log(v) - log(1 - v)
          z[s * c + j] = Float(Self.sigmoid((Double(m[seeds[s] * c + j]) + noise) / temperature))
        }
      }
    }
    return (seeds, z)
  }

  /// The identity at evaluation.
  public var evaluatesRowwise: Bool { true }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .train, rate > 0 else {
      cache = nil
      return x
    }
    precondition(x.shape.count == 4, "LearnableChannelDropout: expected [N, H, W, C], got \(x.shape)")
    let (n, c) = (x.shape[0], x.shape[3])
    let (seeds, z) = relaxedDrops(n: n, c: c, key: context.key.fold(stream))
    cache = (x, seeds, z)
    let scale = Float(1 / (1 - rate))
    let factors = z.map { (1 - $0) * scale }
    return MaskLayer.apply(.perChannel(factors, channels: c), to: x)
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let (x, seeds, z) = cache else { return dy }
    let (n, c) = (x.shape[0], x.shape[3])
    let positions = x.count / (n * c)
    let scale = 1 / (1 - rate)
    var dz = [Double](repeating: 0, count: n * c)
    dy.withUnsafeBufferPointer { g in
      x.withUnsafeBufferPointer { xs in
        for s in 0..<n {
          for p in 0..<positions {
            for j in 0..<c {
              let i = (s * positions + p) * c + j
              dz[s * c + j] -= Double(g[i]) * Double(xs[i]) * scale
            }
          }
        }
      }
    }
    logits.grad.withUnsafeMutableBufferPointer { gm in
      for s in 0..<n {
        for j in 0..<c {
          let zj = Double(z[s * c + j])
          gm[seeds[s] * c + j] += Float(dz[s * c + j] * zj * (1 - zj) / temperature)
        }
      }
    }
    return MaskLayer.apply(.perChannel(z.map { (1 - $0) * Float(scale) }, channels: c), to: dy)
  }

  /// The rate penalty λ·(mean σ(M) − rate)², its gradient added to M's.
  public func addLoss(_ context: StepContext) -> Double {
    guard rate > 0, penalty > 0 else { return 0 }
    let count = logits.value.count
    var mean = 0.0
    logits.value.withUnsafeBufferPointer { m in for v in m { mean += Self.sigmoid(Double(v)) } }
    mean /= Double(count)
    let gap = mean - rate
    logits.value.withUnsafeBufferPointer { m in
      logits.grad.withUnsafeMutableBufferPointer { g in
        for k in 0..<count {
          let p = Self.sigmoid(Double(m[k]))
          g[k] += Float(2 * penalty * gap * p * (1 - p) / Double(count))
        }
      }
    }
    return penalty * gap * gap
  }
}

extension LearnableChannelDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "learnable-channel-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .learned),
    summary: "Drops channels tied to a random seed channel with learnt probabilities σ(M), relaxed, rate-penalised.",
    citation: "Seed note 000 (no source paper named); this reading is documented in its method file",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.1),
        doc: "target mean drop probability (the rate penalty's target and the inverted scale); 0 is the identity."),
      ParameterDescription(
        name: "temperature", kind: .double(min: 0, max: 10, minInclusive: false, maxInclusive: true),
        defaultValue: .double(0.1), doc: "temperature τ of the relaxed Bernoulli (small: nearly hard drops)."),
      ParameterDescription(
        name: "penalty", kind: .double(min: 0, max: 1e6, minInclusive: true, maxInclusive: true), defaultValue: .double(1),
        doc: "weight λ of the rate penalty λ·(mean σ(M) − rate)² added to the loss."),
    ],
    plugsInto: .featureMap, identity: ["rate": .double(0)],
    expectations: { _, _ in [.channelStructure, .evaluationIdentity] },
    build: { params, site in
      .layer(
        LearnableChannelDropout(
          channels: site.shape[2], rate: params.double("rate"), temperature: params.double("temperature"),
          penalty: params.double("penalty"), stream: site.stream))
    })
}

import Foundation
import NN
import Tensor

/// Yun, Han, Oh, Chun, Choe & Yoo, "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
/// Features", ICCV 2019 — not in the seed notes: it is the comparator Attentive CutMix (seed 003's extension) is
/// measured against, and the plain form of the batch-transform plug point.
///
/// A training-loop method (`plugsInto: .training`, a batch transform). In a step chosen with probability `prob`
/// (draw 0 of the step key folded with the site's stream, below `prob`), λ ~ Beta(α, α) (draws 1–2, by the ratio of
/// two Gamma(α) variates — α = 1, the paper's, is U(0, 1)); a box of area (1 − λ)·H·W with the image's aspect ratio,
/// centred at a uniform position (draws 3–4) and clipped to the image, is cut from a partner — the batch in a keyed
/// random order (draw 5 on, a permutation) — and pasted into each image, the same box for the whole batch as in the
/// reference code. Labels become soft targets mixed by the pasted area: λ' = 1 − box area / (H·W) for the image's own
/// label, 1 − λ' for the partner's. Steps not chosen, and evaluation (the training loop never calls a hook there),
/// leave the batch alone. Classification only (a batch with masks is left alone); the number of classes comes from
/// the training site. Taxonomy: data.
public final class CutMix: TrainingHook {
  public let alpha: Double
  public let prob: Double
  public let classes: Int
  public let stream: UInt64

  public init(alpha: Double = 1, prob: Double = 1, classes: Int, stream: UInt64 = 0) {
    precondition(alpha > 0 && prob >= 0 && prob <= 1 && classes >= 0, "CutMix: bad parameters")
    self.alpha = alpha
    self.prob = prob
    self.classes = classes
    self.stream = stream
  }

  /// The pasted box (rows, columns; half-open, clipped) for λ and centre (cy, cx) ∈ [0, 1)² on an h × w image.
  public static func box(lambda: Double, centre: (Double, Double), h: Int, w: Int) -> (Range<Int>, Range<Int>) {
    let ratio = (1 - lambda).squareRoot()
    let (ch, cw) = (Int(Double(h) * ratio), Int(Double(w) * ratio))
    let (cy, cx) = (Int(centre.0 * Double(h)), Int(centre.1 * Double(w)))
    let top = min(max(cy - ch / 2, 0), h)
    let bottom = min(max(cy + ch / 2, 0), h)
    let left = min(max(cx - cw / 2, 0), w)
    let right = min(max(cx + cw / 2, 0), w)
    return (top..<bottom, left..<right)
  }

  /// A Gamma(α, 1) variate from uniforms, by Marsaglia–Tsang (α ≥ 1) with the α < 1 boost; `next` supplies
  /// uniforms in (0, 1).
  static func gamma(_ alpha: Double, next: () -> Double) -> Double {
    if alpha < 1 { return gamma(alpha + 1, next: next) * pow(next(), 1 / alpha) }
    let d = alpha - 1.0 / 3
    let c = 1 / (9 * d).squareRoot()
    while true {
      // A standard normal by Box–Muller.
      let z = (-2 * log(next())).squareRoot() * cos(2 * .pi * next())
      let v = pow(1 + c * z, 3)
      if v <= 0 { continue }
      let u = next()
      if log(u) < 0.5 * z * z + d - d * v + d * log(v) { return d * v }
    }
  }

  public func transform(_ batch: Batch, _ context: StepContext) -> Batch {
    guard context.mode == .train, prob > 0, classes >= 2, case .labels(let labels) = batch.targets,
      batch.images.shape.count == 4
    else { return batch }
    let key = context.key.fold(stream)
    var index = 0
    func next() -> Double {
      defer { index += 1 }
      return Double(key.bits(index >> 2)[index & 3]) / 4_294_967_296 + 0.5 / 4_294_967_296
    }
    guard next() < prob else { return batch }
    let a = Self.gamma(alpha, next: next)
    let b = Self.gamma(alpha, next: next)
    let lambda = a / (a + b)
    let (n, h, w, c) = (batch.images.shape[0], batch.images.shape[1], batch.images.shape[2], batch.images.shape[3])
    let (rows, columns) = Self.box(lambda: lambda, centre: (next(), next()), h: h, w: w)
    let partner = key.fold(1).permutation(n)
    var images = batch.images
    batch.images.withUnsafeBufferPointer { src in
      images.withUnsafeMutableBufferPointer { dst in
        for s in 0..<n {
          for i in rows {
            for j in columns {
              for ch in 0..<c { dst[((s * h + i) * w + j) * c + ch] = src[((partner[s] * h + i) * w + j) * c + ch] }
            }
          }
        }
      }
    }
    let pasted = Double(rows.count * columns.count) / Double(h * w)
    var soft = Tensor(shape: [n, classes])
    for s in 0..<n {
      soft.storage[s * classes + Int(labels[s])] += Float(1 - pasted)
      soft.storage[s * classes + Int(labels[partner[s]])] += Float(pasted)
    }
    return Batch(images: images, targets: .soft(soft), indices: batch.indices)
  }
}

extension CutMix {
  public static let descriptor = RegularizerDescriptor(
    name: "cutmix", taxonomy: .data, traits: Traits(dependsOn: .labels),
    summary: "Pastes a random box from a partner image into each image; labels mixed by the pasted area.",
    citation: "Yun et al., CutMix, ICCV 2019 (comparator for Attentive CutMix; not from the seed notes)",
    parameters: [
      ParameterDescription(
        name: "alpha", kind: .double(min: 0, max: 100, minInclusive: false, maxInclusive: true), defaultValue: .double(1),
        doc: "λ ~ Beta(α, α) is the kept area fraction (the paper's α = 1: uniform)."),
      ParameterDescription(
        name: "prob", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true), defaultValue: .double(1),
        doc: "probability that a step's batch is mixed; 0 is the identity."),
    ],
    plugsInto: .training, identity: ["prob": .double(0)],
    expectations: { _, _ in [.evaluationIdentity] },
    build: { params, site in
      .hook(CutMix(alpha: params.double("alpha"), prob: params.double("prob"), classes: site.classes, stream: site.stream))
    })
}

import NN
import Tensor

/// Neuron-specific dropout (NSDropout, seed 001): a deterministic, validation-driven dropout for small training sets.
/// The seed says: compare, for every class, the mean value each unit produces on training samples and on
/// validation samples, and switch off the units the net relies on for what the validation data does not show; the
/// "thinned" net is not "unthinned" for testing.
///
/// Reading implemented (the seed gives no formula):
/// - At a fully connected activation site `[N, F]`, during each epoch the layer sums its input per class over the
///   training batches (the labels come from the training loop's batch, seen by this layer's `transform` hook) and,
///   in the epoch-end validation probe pass, over the validation split (`dataset.validation_fraction`, the
///   paper's 20%; the probe's labels come from `validationBatch`).
/// - At the epoch end, each unit's score is Σ over the classes seen in both of |mean_train − mean_validation|; the
///   ⌊rate · F⌋ units with the highest scores (ties by unit index) are dropped — zeroed, no rescaling — from then
///   on, in training and at test time alike (the last mask is the test-time mask). Until the first epoch ends
///   nothing is dropped. No randomness.
/// - The test set is never seen: evaluation only applies the last mask (the probe flag is set only in the
///   validation pass).
/// A spec using it must hold out a validation split (`dataset.validation_fraction` > 0), which spec validation
/// checks. Taxonomy: architecture.
public final class NSDropout: Layer, TrainingHook {
  public let rate: Double
  public let units: Int
  /// 1 kept, 0 dropped; all ones until the first epoch ends.
  public private(set) var mask: [Float]
  private var trainSums: [Int32: [Double]] = [:]
  private var trainCounts: [Int32: Int] = [:]
  private var validationSums: [Int32: [Double]] = [:]
  private var validationCounts: [Int32: Int] = [:]
  private var batchLabels: [Int32]?
  /// The tiled mask of the last training forward, for its backward (nil: nothing dropped).
  private var applied: Mask?

  public init(units: Int, rate: Double) {
    precondition(units > 0 && rate >= 0 && rate < 1, "NSDropout: bad parameters")
    self.units = units
    self.rate = rate
    mask = Array(repeating: 1, count: units)
  }

  public var observesValidation: Bool { rate > 0 }

  public func transform(_ batch: Batch, _ context: StepContext) -> Batch {
    if case .labels(let labels) = batch.targets { batchLabels = labels } else { batchLabels = nil }
    return batch
  }

  public func validationBatch(_ batch: Batch) {
    if case .labels(let labels) = batch.targets { batchLabels = labels } else { batchLabels = nil }
  }

  private func accumulate(_ x: Tensor, into sums: inout [Int32: [Double]], counts: inout [Int32: Int]) {
    guard let labels = batchLabels, labels.count == x.rows else { return }
    x.withUnsafeBufferPointer { xs in
      for (n, label) in labels.enumerated() {
        var row = sums[label] ?? Array(repeating: 0, count: units)
        for u in 0..<units { row[u] += Double(xs[n * units + u]) }
        sums[label] = row
        counts[label, default: 0] += 1
      }
    }
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    precondition(x.rowLength == units, "NSDropout: \(units) units, got rows of \(x.rowLength)")
    if context.mode == .train {
      accumulate(x, into: &trainSums, counts: &trainCounts)
      batchLabels = nil
    } else if context.evaluation.validationProbe {
      accumulate(x, into: &validationSums, counts: &validationCounts)
      batchLabels = nil
    }
    guard mask.contains(0) else {
      applied = nil
      return x
    }
    let tiled = Mask.elementwise(Array(repeatElement(mask, count: x.rows).joined()))
    applied = context.mode == .train ? tiled : nil
    return MaskLayer.apply(tiled, to: x)
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let applied else { return dy }
    return MaskLayer.apply(applied, to: dy)
  }

  /// Each unit's score: Σ over classes seen in both splits of |mean on training − mean on validation|.
  public static func scores(
    train: [Int32: [Double]], trainCounts: [Int32: Int], validation: [Int32: [Double]], validationCounts: [Int32: Int],
    units: Int
  ) -> [Double] {
    var score = [Double](repeating: 0, count: units)
    for label in train.keys.sorted() {
      guard let v = validation[label], let nt = trainCounts[label], let nv = validationCounts[label], nt > 0, nv > 0,
        let t = train[label]
      else { continue }
      for u in 0..<units { score[u] += abs(t[u] / Double(nt) - v[u] / Double(nv)) }
    }
    return score
  }

  public func epochEnd(_ epoch: Int) {
    defer {
      trainSums = [:]
      trainCounts = [:]
      validationSums = [:]
      validationCounts = [:]
    }
    guard rate > 0, !validationCounts.isEmpty else { return }
    let score = Self.scores(
      train: trainSums, trainCounts: trainCounts, validation: validationSums, validationCounts: validationCounts,
      units: units)
    let k = Int((rate * Double(units)).rounded(.down))
    let order = (0..<units).sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
    var next = [Float](repeating: 1, count: units)
    for u in order.prefix(k) { next[u] = 0 }
    mask = next
  }
}

extension NSDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "nsdropout", taxonomy: .architecture, traits: Traits(stochastic: false, dependsOn: .labelsAndValidation, phase: .trainingAndTest),
    summary: "Drops, deterministically, the units whose per-class means differ most between training and validation.",
    citation: "Neuron-specific dropout (NSDropout), seed note 001",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.2),
        doc: "fraction of the site's units dropped after each epoch (the most train/validation-divergent ones).")
    ],
    plugsInto: .vector, identity: ["rate": .double(0)], needsValidation: true,
    expectations: { _, _ in [.keptValue(1), .evaluationIdentity] },
    build: { params, site in .layer(NSDropout(units: site.shape[0], rate: params.double("rate"))) })
}

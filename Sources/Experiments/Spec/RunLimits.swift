import Foundation
import NumberFormat

/// Bounds on what one run may ask for. They are far beyond every spec's full scale and keep arithmetic on them
/// (epochs × training-set size, steps × batch, widths × widths) inside 64 bits and the run inside this machine.
public enum RunLimits {
  /// Seeds are labels of replicates; they become 64-bit RNG keys, and negative ones cannot.
  public static let seeds = 0...Int(UInt32.max)
  public static let epochs = 1...10_000
  public static let steps = 1...100_000_000
  public static let batch = 1...65_536
  public static let width = 1...65_536
  /// Estimated memory of one run (see `ModelDescription.memoryEstimate`).
  public static let memoryBytes = 2 << 30

  static func text(_ r: ClosedRange<Int>) -> String { "[\(r.lowerBound), \(r.upperBound)]" }

  static func gib(_ bytes: Int) -> String { Fmt.decimals(Double(bytes) / Double(1 << 30), 1) }

  /// Widths index the model's stages (`ModelDescription.stages`: resnet and unet-tiny have three), and a zero or
  /// negative width would reach the engine as an empty or negative allocation.
  static func checkWidths(_ m: ModelConfig, stages: Int?, fail: (String, String) -> SpecError) throws(SpecError) {
    guard case .list(let items)? = m.params["widths"] else { return }
    let widths = items.compactMap(\.asInt)
    if let stages, widths.count != stages {
      throw fail("model.widths", "\(m.name) takes exactly \(stages) widths (one per stage), got \(widths.count)")
    }
    if widths.isEmpty { throw fail("model.widths", "needs at least one width") }
    for (i, w) in widths.enumerated() where !Self.width.contains(w) {
      throw fail("model.widths[\(i)]", "must be in \(text(Self.width)), got \(w)")
    }
  }

  /// The training settings within their bounds.
  static func checkTraining(_ t: TrainConfig, fail: (String, String) -> SpecError) throws(SpecError) {
    func limit(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws(SpecError) {
      if !range.contains(value) { throw fail(key, "must be in \(text(range)), got \(value)") }
    }
    try limit("train.epochs", t.epochs, Self.epochs)
    try limit("train.batch", t.batch, Self.batch)
    try limit("train.eval_every", t.evalEvery, Self.epochs)
    try limit("train.eval_batch", t.evalBatch, Self.batch)
    if let steps = t.steps { try limit("train.steps", steps, Self.steps) }
    if !(t.lr > 0) || !t.lr.isFinite { throw fail("train.lr", "must be positive, got \(Fmt.plain(t.lr))") }
    if !(0..<1).contains(t.momentum) {
      throw fail("train.momentum", "must be in [0, 1), got \(Fmt.plain(t.momentum))")
    }
    if !(t.weightDecay >= 0) { throw fail("train.weight_decay", "must be ≥ 0, got \(Fmt.plain(t.weightDecay))") }
    if !(t.gamma > 0) { throw fail("train.gamma", "must be positive, got \(Fmt.plain(t.gamma))") }
    if !(t.warmupEpochs >= 0 && t.warmupEpochs <= Double(Self.epochs.upperBound)) {
      throw fail(
        "train.warmup_epochs",
        "must be in [0, \(Self.epochs.upperBound)], got \(Fmt.plain(t.warmupEpochs))")
    }
    if let c = t.maxNorm, !(c > 0 && c.isFinite) {
      throw fail("train.max_norm", "must be positive and finite, got \(Fmt.plain(c))")
    }
    if !(0..<1).contains(t.adamBeta1) {
      throw fail("train.adam_beta1", "must be in [0, 1), got \(Fmt.plain(t.adamBeta1))")
    }
    if !(0..<1).contains(t.adamBeta2) {
      throw fail("train.adam_beta2", "must be in [0, 1), got \(Fmt.plain(t.adamBeta2))")
    }
    for (i, m) in t.milestones.enumerated() {
      if !(m > 0 && m < 1) {
        throw fail("train.milestones", "milestones are fractions of training in (0, 1), got \(Fmt.plain(m))")
      }
      if i > 0, m <= t.milestones[i - 1] {
        throw fail("train.milestones", "milestones must increase, got \(t.milestones)")
      }
    }
  }
}

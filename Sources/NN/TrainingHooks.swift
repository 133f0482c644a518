import Tensor

/// The targets of one mini-batch as the loss sees them: hard labels, soft targets `[N, K]` (rows sum to 1: a batch
/// transform that mixes images mixes their labels, as CutMix does), masks `[N, H, W, 1]` or real values `[N, D]`.
public enum BatchTargets {
  case labels([Int32])
  case soft(Tensor)
  case masks(Tensor)
  case values(Tensor)
}

/// One training mini-batch: the images `[N, H, W, C]` and their targets, and which training examples they are.
public struct Batch {
  public var images: Tensor
  public var targets: BatchTargets
  /// The rows of the training set the batch was drawn from, in batch order.
  public var indices: [Int]

  public init(images: Tensor, targets: BatchTargets, indices: [Int]) {
    self.images = images
    self.targets = targets
    self.indices = indices
  }
}

/// What a hook may use before the first step (`TrainingHook.prepare`): the run's training set (the split it trains
/// on, never the test set) and a store for artifacts worth keeping across runs, such as a teacher network.
public struct HookSetup {
  public var train: TrainingData
  public var artifacts: ArtifactStore

  public init(train: TrainingData, artifacts: ArtifactStore) {
    self.train = train
    self.artifacts = artifacts
  }
}

/// Named arrays of floats that outlive a run: the runner keeps them in its cache directory under the engine's and
/// the regularizers' versions, so a changed method never reads a stale artifact. A name must say everything the
/// values depend on (settings, a fingerprint of the data).
public protocol ArtifactStore: AnyObject {
  func load(_ name: String) -> [Float]?
  func store(_ name: String, _ values: [Float])
}

/// Artifacts kept in memory for the life of the store (tests, and runs without a cache directory).
public final class MemoryArtifacts: ArtifactStore {
  private var values: [String: [Float]] = [:]
  public init() {}
  public func load(_ name: String) -> [Float]? { values[name] }
  public func store(_ name: String, _ values: [Float]) { self.values[name] = values }
}

/// A regularizer that acts on the training loop rather than on a tensor flowing through the model. Before the first
/// step the training loop calls `prepare` (a teacher network is trained there); then, at every step, in this order:
///
/// 1. `transform` — may replace the mini-batch before the forward pass (a batch transform: CutMix pastes patches
///    between images and mixes their labels into soft targets);
/// 2. forward, loss, backward;
/// 3. `addLoss` — adds a term to the loss and accumulates its gradient into the parameters it involves (a rate
///    penalty on trainable mask parameters, an MoE load-balancing term); returns the term's value;
/// 4. the optimiser step, then `afterStep` (max-norm's projection belongs here);
///
/// and `epochEnd` after each epoch (statistics refreshed once per epoch). Every default does nothing, so a hook
/// implements only what it uses. Randomness comes from `context.key` folded with the hook's site stream.
///
/// A hook is what a regularizer plugs at a model's `train` site (`SiteKind.training`); a layer plugged at an
/// activation site may also be a hook (its own penalty or per-epoch refresh), and is then called the same way.
///
/// Labels and validation data: `transform` sees each training batch's targets (a layer that is also a hook can keep
/// them for its forward); a hook with `observesValidation` gets, at each epoch end before `epochEnd`, a probe pass
/// over the run's validation split (`dataset.validation_fraction`): `validationBatch` with each batch (images and
/// labels), then the network's forward of those images in evaluation mode with `evaluation.validationProbe` set.
/// The test set is never shown to hooks.
public protocol TrainingHook: AnyObject {
  func prepare(_ preparation: HookSetup)
  func transform(_ batch: Batch, _ context: StepContext) -> Batch
  func addLoss(_ context: StepContext) -> Double
  func afterStep(_ parameters: [Parameter], _ context: StepContext)
  func epochEnd(_ epoch: Int)
  var observesValidation: Bool { get }
  func validationBatch(_ batch: Batch)
  /// Figures the hook measures about training itself, added to every evaluation's metrics (a mixture-of-experts
  /// layer's share of training tokens sent to another virtual device). Names must be in the metric registry.
  var reportedMetrics: [String: Double] { get }
}

extension TrainingHook {
  public func prepare(_ preparation: HookSetup) {}
  public func transform(_ batch: Batch, _ context: StepContext) -> Batch { batch }
  public func addLoss(_ context: StepContext) -> Double { 0 }
  public func afterStep(_ parameters: [Parameter], _ context: StepContext) {}
  public func epochEnd(_ epoch: Int) {}
  public var observesValidation: Bool { false }
  public func validationBatch(_ batch: Batch) {}
  public var reportedMetrics: [String: Double] { [:] }
}

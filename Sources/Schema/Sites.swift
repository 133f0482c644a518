/// What kind of point a site is, and so which regularizers can plug in there.
public enum SiteKind: String, Sendable, CaseIterable, Hashable {
  /// A tensor flowing between layers (per-sample shape `[H, W, C]` or `[features]`): dropout, DropBlock, Cutout…
  case activation
  /// The weight matrix of a fully connected layer (shape `[out, in]`): DropConnect, Targeted Dropout.
  case weights
  /// A residual branch that can be skipped or scaled (shape: the block's per-sample output): Stochastic Depth,
  /// DropPath.
  case branch
  /// The training loop itself (one site per model, `train`, shape: the per-sample input): batch transforms, loss
  /// terms, after-step projections such as max-norm. See `TrainingHook`.
  case training
  /// A mixture-of-experts layer's token routing (shape `[tokens, dim]` per sample, `experts` experts): Gating
  /// Dropout. See `RoutingPolicy`.
  case routing
  /// The gating nodes of a hierarchical mixture of experts (shape `[nodes]`, a full binary tree of depth
  /// `depthCount`): HME dropout. See `TreeGateDropout`.
  case gates
}

/// A named point of a model where a regularizer can act, recorded while the model is built.
public struct Site: Sendable, Hashable {
  public var name: String
  public var kind: SiteKind
  /// Per-sample shape of what flows there (activation, branch), or the weight matrix `[out, in]` (weights).
  public var shape: [Int]
  /// The site's random stream: a stochastic layer draws from `stepKey.fold(stream)`. Fixed per site (see
  /// `SiteRecorder`), so adding a site never changes another site's masks.
  public var stream: UInt64
  /// Branch sites, and the activation sites inside a residual block: 1-based depth ℓ of the block among
  /// `depthCount` blocks (Stochastic Depth's linear decay); 0 for a site outside every block.
  public var depth: Int
  public var depthCount: Int
  /// Weight sites: a ReLU follows the layer (DropConnect's Gaussian inference averages it).
  public var followedByReLU: Bool
  /// The training site: the model's number of outputs (classes), for batch transforms that mix labels.
  public var classes: Int
  /// Activation sites that see a fully connected layer's units (right after its ReLU): that layer's weight site,
  /// so a method that groups units by their incoming weights can read them (see `ReadsUnitWeights`).
  public var weightSite: String?
  /// Routing sites: the number of experts (one per virtual device).
  public var experts: Int

  public init(
    name: String, kind: SiteKind = .activation, shape: [Int], stream: UInt64, depth: Int = 0, depthCount: Int = 0,
    followedByReLU: Bool = false, classes: Int = 0, weightSite: String? = nil, experts: Int = 0
  ) {
    self.experts = experts
    self.name = name
    self.kind = kind
    self.shape = shape
    self.stream = stream
    self.depth = depth
    self.depthCount = depthCount
    self.followedByReLU = followedByReLU
    self.classes = classes
    self.weightSite = weightSite
  }
}

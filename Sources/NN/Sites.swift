@_exported import Schema
import Tensor

extension Site {
  /// The stream of a site with no legacy number: a 64-bit FNV-1a hash of `kind:name` with the top bit set, so it
  /// never collides with the small legacy numbers and depends on nothing but the site itself.
  public static func namedStream(_ kind: SiteKind, _ name: String) -> UInt64 {
    var hash = FNV1a()
    hash.add("\(kind.rawValue):\(name)".utf8)
    return hash.value | (1 << 63)
  }
}

/// A residual branch's fate for one forward pass.
public enum BranchDecision: Sendable, Equatable {
  /// Compute the branch and multiply it by this factor (1: the plain block).
  case keep(Float)
  /// Skip the branch: it is not computed at all (Stochastic Depth's training-time saving).
  case drop
  /// Compute the branch and multiply sample n's branch by `scales[n]` (0 drops it for that sample).
  case perSample([Float])
}

/// Decides, per forward pass, what a residual block does with its branch. Asked in training and in evaluation
/// (a method's own test-time rule, e.g. Stochastic Depth's "scale by the survival probability").
public protocol BranchGate: AnyObject {
  func decide(batch: Int, _ context: StepContext) -> BranchDecision
  /// Whether the decision at evaluation is one `.keep` factor for the whole batch, whatever its size (so the block
  /// evaluates row-wise, `RowwiseEvaluation`). Defaults to false.
  var constantAtEvaluation: Bool { get }
}

extension BranchGate {
  public var constantAtEvaluation: Bool { false }
}

/// What a mixture-of-experts layer does with its tokens for one forward pass.
public enum RoutingDecision: Sendable, Equatable {
  /// The router picks each token's expert (top-1), the usual MoE layer.
  case route
  /// Every token skips the router and goes to the expert of the virtual device it lives on, its output not
  /// weighted by a gate (Gating Dropout: no all-to-all exchange this step).
  case local
  /// The whole expert sub-layer is skipped: the layer's output is its residual input (Gate-Expert-Drop).
  case skip
}

/// Decides, per forward pass, how a mixture-of-experts layer routes its tokens. Asked in training and in
/// evaluation.
public protocol RoutingPolicy: AnyObject {
  func decide(_ context: StepContext) -> RoutingDecision
}

/// Acts on the gating nodes of a hierarchical mixture of experts (HME dropout). Node m's gate g_m is the mass sent
/// to its left subtree, 1 − g_m to its right.
public protocol TreeGateDropout: AnyObject {
  /// Training: for `samples` × `nodes` (row-major), whether the node's left subtree is dropped for that sample
  /// (its gate forced to 0, all mass to the right subtree).
  func droppedLeft(samples: Int, nodes: Int, _ context: StepContext) -> [Bool]
  /// Evaluation: the factor every gate value is multiplied by (1: the plain tree).
  func evaluationGateScale(_ context: StepContext) -> Float
}

/// Masks or transforms the weights a fully connected layer uses.
public protocol WeightMask: AnyObject {
  /// The weights this forward pass uses in place of `weight` (same shape), or nil to use `weight` itself.
  /// Called in training and evaluation; `backward` follows a training call.
  func effectiveWeights(_ weight: Tensor, _ context: StepContext) -> Tensor?
  /// The gradient with respect to the raw weights, given the gradient with respect to the effective weights
  /// of the last training forward (e.g. `g ⊙ mask`).
  func rawGradient(_ gradient: Tensor) -> Tensor
  /// `grad += rawGradient(gradient)`, the weight gradient's accumulation; the default does exactly that, and a
  /// mask may do it in one pass (DropConnect) as long as each value is rounded as the default rounds it.
  func accumulateRawGradient(_ gradient: Tensor, into grad: UnsafeMutableBufferPointer<Float>)
  /// A method's own evaluation rule on the whole layer (`y` from `x`, `W`, `b`), or nil for `x·Wᵀ + b` with the
  /// effective weights. DropConnect's Gaussian moment matching lives here.
  func evaluate(input: Tensor, weight: Tensor, bias: Tensor, _ context: StepContext) -> Tensor?
  /// A training forward whose weights differ per sample (DropConnect's per-sample masks): `x·W_nᵀ` row by row,
  /// without the bias, or nil (the default) for one set of effective weights for the whole batch. When it returns
  /// a tensor, the layer's backward calls `perSampleBackward` for the input and raw-weight gradients.
  func perSampleForward(input: Tensor, weight: Tensor, _ context: StepContext) -> Tensor?
  func perSampleBackward(_ dy: Tensor, input: Tensor, weight: Tensor, inputGradient: Bool) -> (
    input: Tensor, weight: Tensor
  )
}

extension WeightMask {
  public func accumulateRawGradient(_ gradient: Tensor, into grad: UnsafeMutableBufferPointer<Float>) {
    let raw = rawGradient(gradient)
    raw.withUnsafeBufferPointer { Elementwise.axpy(1, $0, grad) }
  }
  public func evaluate(input: Tensor, weight: Tensor, bias: Tensor, _ context: StepContext) -> Tensor? { nil }
  public func perSampleForward(input: Tensor, weight: Tensor, _ context: StepContext) -> Tensor? { nil }
  public func perSampleBackward(_ dy: Tensor, input: Tensor, weight: Tensor, inputGradient: Bool) -> (
    input: Tensor, weight: Tensor
  ) {
    fatalError("\(type(of: self)) computed no per-sample forward")
  }
}

/// A layer at an activation site that reads the incoming weights of the units it sees (clustering-based dropout's
/// weight statistics). The site recorder attaches the fully connected layer of the site's `weightSite`.
public protocol ReadsUnitWeights: AnyObject {
  func attach(_ layer: Linear)
}

/// What a regularizer puts at a site; the case must match the site's kind.
public enum Plug {
  case layer(Layer)
  case weights(WeightMask)
  case gate(BranchGate)
  case hook(TrainingHook)
  case router(RoutingPolicy)
  case treeGates(TreeGateDropout)
}

/// Records a model's sites as its builder reaches them and asks `plug` what to put at each. Model builders call
/// it; nothing else keeps a list of site names.
public final class SiteRecorder {
  public private(set) var sites: [Site] = []
  /// The layer of every weight site, by site name (evaluation-time pruning reaches the weights through it).
  public private(set) var weightLayers: [String: Linear] = [:]
  /// What the training loop must call: the hook at the `train` site and every plugged layer that is a hook too, in
  /// build order.
  public private(set) var hooks: [TrainingHook] = []
  private let plug: (Site) throws -> Plug?

  public init(plug: @escaping (Site) throws -> Plug? = { _ in nil }) { self.plug = plug }

  /// An activation site: the layers to insert there (none, or the regularizer's layer).
  ///
  /// `legacyStream`: the stream number the site had when sites were numbered by position. Sites that existed then
  /// keep it, so committed results stay bit-identical; every new site leaves it nil and streams by its name.
  /// `depth`: the 1-based depth of the residual block the site is inside (0: none). `weightSite`: the weight site
  /// of the fully connected layer whose units the site sees, if any; a plugged layer that reads unit weights is
  /// given that layer.
  public func activation(
    _ name: String, shape: [Int], legacyStream: Int? = nil, depth: Int = 0, weightSite: String? = nil
  ) throws -> [Layer] {
    let site = record(
      Site(
        name: name, kind: .activation, shape: shape, stream: stream(.activation, name, legacyStream), depth: depth,
        weightSite: weightSite))
    switch try plug(site) {
    case nil: return []
    case .layer(let layer)?:
      if let weightSite, let linear = weightLayers[weightSite] {
        for inner in (layer as? Sequential)?.layers ?? [layer] { (inner as? ReadsUnitWeights)?.attach(linear) }
      }
      if let hook = layer as? TrainingHook { hooks.append(hook) }
      if let sequence = layer as? Sequential {
        for inner in sequence.layers { if let hook = inner as? TrainingHook { hooks.append(hook) } }
      }
      return [layer]
    case let other?: throw SiteError.wrongPlug(site: name, kind: .activation, got: other)
    }
  }

  /// The training loop's site, `train` (per-sample shape: the input's; `classes` outputs): recorded once per model,
  /// after its layers.
  public func training(inputShape: [Int], classes: Int) throws {
    let site = record(
      Site(
        name: Self.trainingSite, kind: .training, shape: inputShape, stream: stream(.training, Self.trainingSite, nil),
        classes: classes))
    switch try plug(site) {
    case nil: return
    case .hook(let hook)?: hooks.append(hook)
    case let other?: throw SiteError.wrongPlug(site: site.name, kind: .training, got: other)
    }
  }

  /// The name of every model's training-loop site.
  public static let trainingSite = "train"

  /// The weights of `layer` (whose output feeds a ReLU or not).
  public func weights(_ name: String, of layer: Linear, followedByReLU: Bool) throws {
    let site = record(
      Site(
        name: name, kind: .weights, shape: layer.weight.value.shape, stream: stream(.weights, name, nil),
        followedByReLU: followedByReLU))
    weightLayers[name] = layer
    switch try plug(site) {
    case nil: return
    case .weights(let mask)?: layer.weightMask = mask
    case let other?: throw SiteError.wrongPlug(site: name, kind: .weights, got: other)
    }
  }

  /// A residual branch, block `depth` of `count`, whose output has per-sample `shape`.
  public func branch(_ name: String, shape: [Int], depth: Int, of count: Int) throws -> BranchGate? {
    let site = record(
      Site(
        name: name, kind: .branch, shape: shape, stream: stream(.branch, name, nil), depth: depth, depthCount: count))
    switch try plug(site) {
    case nil: return nil
    case .gate(let gate)?: return gate
    case let other?: throw SiteError.wrongPlug(site: name, kind: .branch, got: other)
    }
  }

  /// A mixture-of-experts layer's routing: `tokens` tokens of `dim` features per sample, `experts` experts.
  public func routing(_ name: String, tokens: Int, dim: Int, experts: Int) throws -> RoutingPolicy? {
    let site = record(
      Site(name: name, kind: .routing, shape: [tokens, dim], stream: stream(.routing, name, nil), experts: experts))
    switch try plug(site) {
    case nil: return nil
    case .router(let policy)?: return policy
    case let other?: throw SiteError.wrongPlug(site: name, kind: .routing, got: other)
    }
  }

  /// The gating nodes of a hierarchical mixture of experts: a full binary tree of `depth` levels of gates
  /// (2^depth − 1 nodes, 2^depth leaves).
  public func gates(_ name: String, depth: Int) throws -> TreeGateDropout? {
    let site = record(
      Site(
        name: name, kind: .gates, shape: [(1 << depth) - 1], stream: stream(.gates, name, nil), depthCount: depth))
    switch try plug(site) {
    case nil: return nil
    case .treeGates(let dropout)?: return dropout
    case let other?: throw SiteError.wrongPlug(site: name, kind: .gates, got: other)
    }
  }

  /// A hook the model itself needs (not a regularizer's): a mixture-of-experts layer reporting its load-balancing
  /// loss and its cross-device token count. Called like every other hook.
  public func modelHook(_ hook: TrainingHook) { hooks.append(hook) }

  private func stream(_ kind: SiteKind, _ name: String, _ legacy: Int?) -> UInt64 {
    legacy.map { UInt64($0) } ?? Site.namedStream(kind, name)
  }

  private func record(_ site: Site) -> Site {
    precondition(!sites.contains { $0.name == site.name && $0.kind == site.kind }, "site \(site.name) recorded twice")
    sites.append(site)
    return site
  }
}

public enum SiteError: Error, CustomStringConvertible {
  case wrongPlug(site: String, kind: SiteKind, got: Plug)

  public var description: String {
    switch self {
    case .wrongPlug(let site, let kind, let got):
      let what =
        switch got {
        case .layer: "a layer"
        case .weights: "a weight mask"
        case .gate: "a branch gate"
        case .hook: "a training hook"
        case .router: "a routing policy"
        case .treeGates: "a tree-gate dropout"
        }
      return "site '\(site)' is a\(kind == .activation ? "n" : "") \(kind.rawValue) site; \(what) cannot plug in there"
    }
  }
}

/// Kukačka, Golkov & Cremers (2017), "Regularization for Deep Learning: A Taxonomy": where a method acts.
/// Dropout-family masks on activations are `architecture` (a stochastic transformation of the network);
/// input-space augmentation such as Cutout is `data`.
public enum Taxonomy: String, Sendable, CaseIterable {
  case data
  case architecture
  case errorTerm = "error-term"
  case regularizationTerm = "regularization-term"
  case optimization
}

/// Kukačka et al.'s finer attributes of a method, shown beside its category in the report: whether it is random,
/// what its choice of what to drop (or mix, or project) depends on, and whether the network is computed differently
/// at test time than the plain network would be.
public struct Traits: Sendable, Equatable {
  public enum Dependence: String, Sendable {
    case chance = "chance only"
    case activations = "the activations"
    case weights = "the weights"
    case labels = "the labels"
    case labelsAndValidation = "labels and validation data"
    case learned = "learnt parameters"
    case trainingStatistics = "statistics over training"
  }

  public enum Phase: String, Sendable {
    case training = "training only"
    case trainingAndTest = "training and test"
  }

  public var stochastic: Bool
  public var dependsOn: Dependence
  public var phase: Phase

  public init(stochastic: Bool = true, dependsOn: Dependence = .chance, phase: Phase = .training) {
    self.stochastic = stochastic
    self.dependsOn = dependsOn
    self.phase = phase
  }
}

/// Where a regularizer acts. Each case names the kind of model site it plugs into; placement is checked in one
/// place (`RegularizerDescriptor.validate`) against the site's kind and shape.
public enum PlugPoint: String, Sendable, CaseIterable {
  /// Any activation site, feature map (`[H, W, C]`) or vector (`[F]`).
  case activation
  /// Activation sites whose per-sample shape is `[H, W, C]`.
  case featureMap = "feature-map"
  /// Activation sites of fully connected units, per-sample shape `[F]`.
  case vector
  /// Only the activation site named "input" (the normalised images, `[H, W, C]`).
  case input
  /// The weight matrix of a fully connected layer.
  case weights
  /// A residual branch.
  case branch
  /// The training loop (the model's `train` site): batch transforms, loss terms, after-step projections.
  case training
  /// A mixture-of-experts layer's token routing.
  case routing
  /// The gating nodes of a hierarchical mixture of experts.
  case gates

  /// What the method transforms, in the report's words.
  public var actsOn: String {
    switch self {
    case .activation: "activations"
    case .featureMap: "feature maps"
    case .vector: "fully connected units"
    case .input: "input images"
    case .weights: "weights"
    case .branch: "residual branches"
    case .training: "the training loop"
    case .routing: "expert routing"
    case .gates: "tree gates"
    }
  }

  public var siteKind: SiteKind {
    switch self {
    case .activation, .featureMap, .vector, .input: .activation
    case .weights: .weights
    case .branch: .branch
    case .training: .training
    case .routing: .routing
    case .gates: .gates
    }
  }
}

/// What the spec language needs to know about a method, and all it needs: a method's descriptor is its catalog
/// entry (the `Regularizers` module's `RegularizerDescriptor` conforms).
public protocol MethodDescription: Sendable {
  /// The spec name (`regularizer: {name: …}`).
  var name: String { get }
  var taxonomy: Taxonomy { get }
  var traits: Traits { get }
  var summary: String { get }
  var parameters: [ParameterDescription] { get }
  var plugPoint: PlugPoint { get }
  /// Sites used when a spec gives no `at`: nil means the model's default activation sites (activation methods)
  /// or every site of the plug point's kind (weights, branches).
  var defaultSites: [String]? { get }
  /// The method reads a held-out validation split: a run using it must set `dataset.validation_fraction` > 0.
  var needsValidation: Bool { get }
  /// Why `site` is no place for the method with these resolved parameters (a wrong kind or shape of site, a block
  /// size larger than the feature map), or nil.
  func problem(_ parameters: [String: ConfigValue], at site: Site) -> String?
}

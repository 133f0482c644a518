import NN

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

/// What a regularizer does when the network is evaluated, as the contract tests and the gate check it.
public enum EvaluationRule: Sendable, Equatable {
  /// Evaluation is the identity (inverted scaling during training, or nothing to undo).
  case identity
  /// The method's own test-time rule, described in one sentence (Stochastic Depth's "scale each branch by its
  /// survival probability"); the method's `Expectation`s say what it must produce.
  case own(String)
}

/// Everything the rest of DropBench needs to know about one regularizer, keyed by its spec name.
public struct RegularizerDescriptor: Sendable {
  public let name: String
  public let taxonomy: Taxonomy
  public let traits: Traits
  public let summary: String
  public let citation: String
  public let parameters: [ParameterDescription]
  public let plugPoint: PlugPoint
  public let evaluationRule: EvaluationRule
  /// Sites used when a spec gives no `at`: nil means the model's default activation sites (activation methods)
  /// or every site of the plug point's kind (weights, branches).
  public let defaultSites: [String]?
  /// The file that implements the method (its `#filePath`): the run cache keys a run by the bytes of the files of
  /// the regularizers it uses, so adding or editing one method invalidates no other method's runs.
  public let sourceFile: String
  /// Every method file the method's numbers depend on: its own, then those of the methods it calls (DropConnect
  /// draws with `Dropout.mask`, so an edit to Dropout's file must retrain DropConnect's runs too). Declared with
  /// `uses:`; a test checks that a method file naming another method's type declares it.
  public let sourceFiles: [String]
  /// The method's declared numerics version (`numerics:`, default 1): bump it with any change to the method that can
  /// change a run's numbers. Run cache keys carry `numericsTag`, not the bytes of `sourceFiles`, so an edit that
  /// moves no bit (a comment, a refactor proven bit-identical) keeps every stored run reusable.
  public let numerics: Int
  /// `name:numerics`, followed by the tags of the methods it `uses:` (DropConnect draws with Dropout's mask, so a
  /// bump of Dropout retrains DropConnect's runs too): what a run's cache key says about this method's code.
  public let numericsTag: String
  /// nil when `parameters` (defaults filled for missing keys) are valid at `site`, otherwise one sentence
  /// naming the regularizer, the key and the valid choices.
  public let validate: @Sendable ([String: ParameterValue], _ site: Site) -> String?
  /// Builds what goes at a site. Parameters must have passed `validate`; missing ones take their defaults.
  public let make: @Sendable ([String: ParameterValue], Site) -> Plug
  /// Parameters at which the method is exactly the identity in training (zero strength: `rate: 0`), or nil when
  /// it has none (Heuristic Dropout always replaces some channels). The contract tests check it.
  public let identityParameters: [String: ParameterValue]?
  /// The method reads a held-out validation split (NSDropout): a run using it must set
  /// `dataset.validation_fraction` > 0, which spec validation checks.
  public let needsValidation: Bool
  /// What the method promises, for the conformance gate (`Conformance.check`): drop fraction, scaling,
  /// structure, evaluation rule, at a given site.
  public let expectations: @Sendable ([String: ParameterValue], Site) -> [Expectation]

  init(
    name: String, taxonomy: Taxonomy, traits: Traits = Traits(), summary: String, citation: String, parameters: [ParameterDescription],
    plugsInto plugPoint: PlugPoint, evaluation: EvaluationRule = .identity, defaultSites: [String]? = nil,
    identity: [String: ParameterValue]? = nil, needsValidation: Bool = false, uses: [RegularizerDescriptor] = [],
    numerics: Int = 1, file: String = #filePath,
    check: @escaping @Sendable ([String: ParameterValue], _ site: Site) -> String? = { _, _ in nil },
    expectations: @escaping @Sendable ([String: ParameterValue], Site) -> [Expectation] = { _, _ in [] },
    build: @escaping @Sendable ([String: ParameterValue], Site) -> Plug
  ) {
    self.name = name
    self.taxonomy = taxonomy
    self.traits = traits
    self.summary = summary
    self.citation = citation
    self.parameters = parameters
    self.plugPoint = plugPoint
    self.evaluationRule = evaluation
    self.defaultSites = defaultSites ?? (plugPoint == .input ? ["input"] : nil)
    self.sourceFile = file
    var files = [file]
    for other in uses { for f in other.sourceFiles where !files.contains(f) { files.append(f) } }
    self.sourceFiles = files
    self.numerics = numerics
    var tags = ["\(name):\(numerics)"]
    for other in uses where !tags.contains(other.numericsTag) { tags.append(other.numericsTag) }
    self.numericsTag = tags.joined(separator: "+")
    self.identityParameters = identity
    self.needsValidation = needsValidation
    self.expectations = expectations
    self.validate = { values, site in
      switch Self.resolve(values, name: name, parameters: parameters) {
      case .failure(let message): return message.description
      case .success(let filled):
        if let problem = Self.placementProblem(name: name, plugPoint: plugPoint, site: site) { return problem }
        return check(filled, site)
      }
    }
    self.make = { values, site in
      guard case .success(let filled) = Self.resolve(values, name: name, parameters: parameters) else {
        preconditionFailure("\(name): make called with parameters that fail validation: \(values)")
      }
      return build(filled, site)
    }
  }

  /// Why `site` is no place for a method plugging into `plugPoint`, or nil.
  static func placementProblem(name: String, plugPoint: PlugPoint, site: Site) -> String? {
    guard site.kind == plugPoint.siteKind else {
      return "\(name) acts on \(plugPoint.siteKind.rawValue) sites; '\(site.name)' is a\(site.kind == .activation ? "n" : "") "
        + "\(site.kind.rawValue) site."
    }
    switch plugPoint {
    case .input where site.name != "input":
      return "\(name) acts on the input images only (at: [input]); '\(site.name)' is a hidden site."
    case .input, .featureMap:
      if site.shape.count != 3 {
        return "\(name) needs an image or feature-map site of shape [H, W, C]; '\(site.name)' has shape \(site.shape)."
      }
      return nil
    case .vector:
      if site.shape.count != 1 {
        return "\(name) acts on fully connected units (shape [F]); '\(site.name)' has shape \(site.shape)."
      }
      return nil
    default: return nil
    }
  }

  /// The parameters with defaults filled in and values normalised to their kinds, or the validation message.
  public func resolve(_ values: [String: ParameterValue]) -> Result<[String: ParameterValue], ValidationMessage> {
    Self.resolve(values, name: name, parameters: parameters)
  }

  public struct ValidationMessage: Error, Sendable, CustomStringConvertible {
    public let description: String
  }

  private static func resolve(
    _ values: [String: ParameterValue], name: String, parameters: [ParameterDescription]
  ) -> Result<[String: ParameterValue], ValidationMessage> {
    let known = parameters.map(\.name)
    for key in values.keys.sorted() where !known.contains(key) {
      let valid = known.isEmpty ? "it takes no parameters" : "valid parameters: \(known.joined(separator: ", "))"
      return .failure(ValidationMessage(description: "\(name) has no parameter '\(key)'; \(valid)."))
    }
    var filled: [String: ParameterValue] = [:]
    for parameter in parameters {
      let value = values[parameter.name] ?? parameter.defaultValue
      guard let accepted = parameter.kind.accept(value) else {
        return .failure(
          ValidationMessage(
            description: "\(name): \(parameter.name) must be \(parameter.kind.range) (got \(value)); \(parameter.doc)"))
      }
      filled[parameter.name] = accepted
    }
    return .success(filled)
  }
}

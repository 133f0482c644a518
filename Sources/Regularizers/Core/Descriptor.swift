import NN

/// What a regularizer does when the network is evaluated, as the contract tests and the gate check it.
public enum EvaluationRule: Sendable, Equatable {
  /// Evaluation is the identity (inverted scaling during training, or nothing to undo).
  case identity
  /// The method's own test-time rule, described in one sentence (Stochastic Depth's "scale each branch by its
  /// survival probability"); the method's `Expectation`s say what it must produce.
  case own(String)
}

/// Everything the rest of DropBench needs to know about one regularizer, keyed by its spec name: its catalog entry
/// for the spec language (`MethodDescription`), its builder, and what the gate checks.
public struct RegularizerDescriptor: MethodDescription {
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
  /// The method's own site-dependent check of resolved parameters (`check:`); see `problem(_:at:)`.
  let check: @Sendable ([String: ConfigValue], _ site: Site) -> String?
  let build: @Sendable ([String: ConfigValue], Site) -> Plug
  /// Parameters at which the method is exactly the identity in training (zero strength: `rate: 0`), or nil when
  /// it has none (Heuristic Dropout always replaces some channels). The contract tests check it.
  public let identityParameters: [String: ConfigValue]?
  /// The method reads a held-out validation split (NSDropout): a run using it must set
  /// `dataset.validation_fraction` > 0, which spec validation checks.
  public let needsValidation: Bool
  /// What the method promises, for the conformance gate (`Conformance.check`): drop fraction, scaling,
  /// structure, evaluation rule, at a given site.
  public let expectations: @Sendable ([String: ConfigValue], Site) -> [Expectation]

  init(
    name: String, taxonomy: Taxonomy, traits: Traits = Traits(), summary: String, citation: String,
    parameters: [ParameterDescription],
    plugsInto plugPoint: PlugPoint, evaluation: EvaluationRule = .identity, defaultSites: [String]? = nil,
    identity: [String: ConfigValue]? = nil, needsValidation: Bool = false, uses: [RegularizerDescriptor] = [],
    numerics: Int = 1, file: String = #filePath,
    check: @escaping @Sendable ([String: ConfigValue], _ site: Site) -> String? = { _, _ in nil },
    expectations: @escaping @Sendable ([String: ConfigValue], Site) -> [Expectation] = { _, _ in [] },
    build: @escaping @Sendable ([String: ConfigValue], Site) -> Plug
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
    self.check = check
    self.build = build
  }

  /// Why `site` is no place for the method with these resolved parameters: a site of the wrong kind or shape, or
  /// the method's own `check:` (a block size larger than the feature map); nil when it fits.
  public func problem(_ parameters: [String: ConfigValue], at site: Site) -> String? {
    if let problem = Self.placementProblem(name: name, plugPoint: plugPoint, site: site) { return problem }
    return check(self.parameters.filled(parameters), site)
  }

  /// `problem(_:at:)` for parameters as written (not yet resolved): the resolution's problem first.
  public func validate(_ values: [String: ConfigValue], _ site: Site) -> String? {
    switch resolve(values) {
    case .failure(let message): message.description
    case .success(let resolved): problem(resolved, at: site)
    }
  }

  /// Builds what goes at a site from resolved parameters (those left out at their default read the default).
  public func make(_ parameters: [String: ConfigValue], _ site: Site) -> Plug {
    build(self.parameters.filled(parameters), site)
  }

  /// Why `site` is no place for a method plugging into `plugPoint`, or nil.
  static func placementProblem(name: String, plugPoint: PlugPoint, site: Site) -> String? {
    guard site.kind == plugPoint.siteKind else {
      return
        "\(name) acts on \(plugPoint.siteKind.rawValue) sites; '\(site.name)' is a\(site.kind == .activation ? "n" : "") "
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

  /// The parameters checked, with defaults filled in and values normalised to their kinds (`[ParameterDescription]
  /// .resolve`, the spec language's own check), or the validation message.
  public func resolve(_ values: [String: ConfigValue]) -> Result<[String: ConfigValue], ValidationMessage> {
    do {
      return .success(self.parameters.filled(try parameters.resolve(values, owner: "regularizer '\(name)'")))
    } catch {
      return .failure(ValidationMessage(description: "\(name): \(error.key): \(error.message)"))
    }
  }

  public struct ValidationMessage: Error, Sendable, CustomStringConvertible {
    public let description: String
  }
}

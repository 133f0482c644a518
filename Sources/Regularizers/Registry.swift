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

/// Where a regularizer plugs into a model.
public enum Placement: String, Sendable, CaseIterable {
  /// Any site after a layer, feature map (`[H, W, C]`) or vector (`[F]`).
  case activation
  /// Only the site named "input" (the normalised images, `[H, W, C]`); the caller checks the site name.
  case input
  /// Sites whose per-sample shape is `[H, W, C]`.
  case featureMap = "feature-map"
}

/// Everything the rest of DropBench needs to know about one regularizer, keyed by its spec name.
public struct RegularizerDescriptor: Sendable {
  public let name: String
  public let taxonomy: Taxonomy
  public let summary: String
  public let citation: String
  public let parameters: [ParameterDescription]
  public let placement: Placement
  /// nil when `parameters` (defaults filled for missing keys) are valid at a site of per-sample shape `siteShape`,
  /// otherwise one sentence naming the regularizer, the key and the valid choices.
  public let validate: @Sendable ([String: ParameterValue], _ siteShape: [Int]) -> String?
  /// Builds the layer for a site. Parameters must have passed `validate`; missing ones take their defaults.
  public let make: @Sendable ([String: ParameterValue], Site) -> Layer

  init(
    name: String, taxonomy: Taxonomy, summary: String, citation: String, parameters: [ParameterDescription],
    placement: Placement,
    check: @escaping @Sendable ([String: ParameterValue], _ siteShape: [Int]) -> String? = { _, _ in nil },
    build: @escaping @Sendable ([String: ParameterValue], Site) -> Layer
  ) {
    self.name = name
    self.taxonomy = taxonomy
    self.summary = summary
    self.citation = citation
    self.parameters = parameters
    self.placement = placement
    self.validate = { values, siteShape in
      switch Self.resolve(values, name: name, parameters: parameters) {
      case .failure(let message): return message.description
      case .success(let filled):
        if placement != .activation, siteShape.count != 3 {
          return "\(name) needs an image or feature-map site of shape [H, W, C]; this site has shape \(siteShape)."
        }
        return check(filled, siteShape)
      }
    }
    self.make = { values, site in
      guard case .success(let filled) = Self.resolve(values, name: name, parameters: parameters) else {
        preconditionFailure("\(name): make called with parameters that fail validation: \(values)")
      }
      return build(filled, site)
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

/// The regularizers DropBench knows, by spec name.
public enum RegularizerRegistry {
  /// `none`: the baseline arm. `make` returns `NN.Identity`, so a runner may insert it like any other layer or
  /// skip the site altogether; both give the same network.
  public static let none = RegularizerDescriptor(
    name: "none", taxonomy: .architecture, summary: "No regularizer: the identity at every site.",
    citation: "—", parameters: [], placement: .activation, build: { _, _ in Identity() })

  public static let all: [RegularizerDescriptor] = [
    none, Dropout.descriptor, SpatialDropout.descriptor, DropBlock.descriptor, Cutout.descriptor,
    HeuristicDropout.descriptor,
  ]

  public static func descriptor(_ name: String) -> RegularizerDescriptor? {
    all.first { $0.name == name }
  }

  public static var names: [String] { all.map(\.name) }
}

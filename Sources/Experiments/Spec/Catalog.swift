import Foundation

/// One parameter a model or regularizer accepts in a spec, with its type, range and default.
public struct ParameterSpec: Sendable {
  /// The parameter's type and allowed range.
  public enum Kind: Sendable {
    /// A real number; nil bounds are open-ended.
    case double(min: Double?, max: Double?, minInclusive: Bool, maxInclusive: Bool)
    /// An integer within inclusive bounds.
    case int(min: Int?, max: Int?)
    /// One of a fixed set of strings.
    case choice([String])
    case bool
    case intList
    case doubleList
  }

  /// The key in the spec (snake_case).
  public var name: String
  public var kind: Kind
  /// Used when the spec omits the key; nil makes the parameter required.
  public var defaultValue: ConfigValue?
  /// One sentence for `dropbench list` and error messages.
  public var doc: String
  /// A parameter added to a method after results were stored: at its default it is left out of the run's config
  /// tree, so every run from before it existed keeps its tree, cache key and `verify` match (the method reads the
  /// default when building).
  public var omittedAtDefault: Bool

  public init(
    name: String, kind: Kind, defaultValue: ConfigValue? = nil, doc: String, omittedAtDefault: Bool = false
  ) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.doc = doc
    self.omittedAtDefault = omittedAtDefault
  }
}

/// What the spec layer needs to know about a dataset.
public struct DatasetInfo: Sendable {
  /// Per-sample image shape as [H, W, C].
  public var imageShape: [Int]
  public var classes: Int
  /// `classification` or `segmentation`.
  public var task: String
  /// Largest available training / test split.
  public var trainMax: Int
  public var testMax: Int

  public init(imageShape: [Int], classes: Int, task: String, trainMax: Int, testMax: Int) {
    self.imageShape = imageShape
    self.classes = classes
    self.task = task
    self.trainMax = trainMax
    self.testMax = testMax
  }
}

/// A site of a model as the spec layer sees it: its name, kind (`activation`, `weights`, `branch`) and per-sample
/// shape (the matrix `[out, in]` for weights).
public struct SiteInfo: Sendable, Hashable {
  public var name: String
  public var kind: String
  public var shape: [Int]
  /// The weight site of the fully connected layer whose units an activation site sees, if any.
  public var weightSite: String?

  public init(name: String, kind: String = "activation", shape: [Int], weightSite: String? = nil) {
    self.name = name
    self.kind = kind
    self.shape = shape
    self.weightSite = weightSite
  }
}

/// What the spec layer needs to know about a model builder.
public struct ModelInfo: Sendable {
  public var parameters: [ParameterSpec]
  /// `classification` or `segmentation`: the model's own task.
  public var task: String
  /// Every task it can learn (its own, and `regression` for a model whose outputs are free); the dataset's task
  /// must be one of them.
  public var tasks: [String]
  /// Sites a regularizer plugs into when the spec gives no `at`.
  public var defaultSites: [String]
  /// Site name → per-sample shape there ([H, W, C] for feature maps, [features] for vectors), given the input
  /// image shape and the model's resolved parameters.
  public var siteShapes: @Sendable (_ imageShape: [Int], _ params: [String: ConfigValue]) -> [String: [Int]]
  /// Every site of every kind, in the model's build order.
  public var sites: @Sendable (_ imageShape: [Int], _ params: [String: ConfigValue]) -> [SiteInfo]

  public init(
    parameters: [ParameterSpec], task: String, tasks: [String]? = nil, defaultSites: [String],
    siteShapes: @escaping @Sendable (_ imageShape: [Int], _ params: [String: ConfigValue]) -> [String: [Int]],
    sites: (@Sendable (_ imageShape: [Int], _ params: [String: ConfigValue]) -> [SiteInfo])? = nil
  ) {
    self.parameters = parameters
    self.task = task
    self.tasks = tasks ?? [task]
    self.defaultSites = defaultSites
    self.siteShapes = siteShapes
    self.sites =
      sites ?? { shape, params in
        siteShapes(shape, params).sorted { $0.key < $1.key }.map { SiteInfo(name: $0.key, shape: $0.value) }
      }
  }
}

/// What the spec layer needs to know about a regularizer.
public struct RegularizerInfo: Sendable {
  public var parameters: [ParameterSpec]
  /// Kukačka et al. taxonomy tag (data, architecture, error term, regularisation term, optimisation).
  public var taxonomy: String
  public var summary: String
  /// Sites this method plugs into when the spec gives no `at` (e.g. `["input"]` for Cutout); nil means the
  /// model's default sites (activation methods) or every site of the method's kind (weights, branches).
  public var defaultSites: [String]?
  /// The kind of site the method acts on: `activation`, `weights`, `branch` or `training`.
  public var siteKind: String
  /// The method reads a validation split: the run must set `dataset.validation_fraction` > 0.
  public var needsValidation: Bool
  /// Kukačka et al.'s finer attributes, for the report: what it acts on, random or not, what it depends on, and
  /// whether the test-time network differs ("training only" / "training and test").
  public var actsOn: String = ""
  public var stochastic: Bool = true
  public var dependsOn: String = ""
  public var phase: String = ""
  /// Checks the placement and the parameters that depend on the site (e.g. block size against the feature map):
  /// nil when valid, else a sentence saying what is wrong.
  public var validate: @Sendable (_ params: [String: ConfigValue], _ site: SiteInfo) -> String?

  public init(
    parameters: [ParameterSpec], taxonomy: String, summary: String, defaultSites: [String]? = nil,
    siteKind: String = "activation", needsValidation: Bool = false,
    validate: @escaping @Sendable (_ params: [String: ConfigValue], _ site: SiteInfo) -> String? = { _, _ in nil }
  ) {
    self.needsValidation = needsValidation
    self.parameters = parameters
    self.taxonomy = taxonomy
    self.summary = summary
    self.defaultSites = defaultSites
    self.siteKind = siteKind
    self.validate = validate
  }
}

/// The registries of datasets, models and regularizers, passed in as data so that the spec layer does not
/// depend on the engine that implements them.
public struct Catalog: Sendable {
  public var datasets: [String: DatasetInfo]
  public var models: [String: ModelInfo]
  public var regularizers: [String: RegularizerInfo]

  public init(
    datasets: [String: DatasetInfo], models: [String: ModelInfo], regularizers: [String: RegularizerInfo]
  ) {
    self.datasets = datasets
    self.models = models
    self.regularizers = regularizers
  }

  /// Final metrics a run reports for a task; accuracies, errors, Dice and IoU are in percent (0–100).
  public static func metrics(forTask task: String) -> [String] { MetricRegistry.names(forTask: task) }
}

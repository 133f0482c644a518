import Foundation

extension RunConfig {
  /// Decodes one run's tree and checks it against the catalog: known dataset, model, regularizer and sites,
  /// parameters in range, training settings positive. Fills every default (including the regularizer's sites)
  /// and normalises parameter types (an integer given for a real parameter becomes a double), so two runs with
  /// the same meaning have the same `tree` and hence the same cache key.
  /// Errors name `path` + the key, e.g. `base.regularizer.rate`.
  public static func resolve(tree: ConfigValue, catalog: Catalog, file: String = "", path: String = "base")
    throws(SpecError) -> RunConfig
  {
    var config = try RunConfig(tree: tree, file: file, path: path)
    func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
    func fail(_ k: String, _ message: String) -> SpecError { SpecError(file: file, keyPath: key(k), message: message) }

    guard let dataset = catalog.datasets[config.dataset.name] else {
      throw SpecError.unknown(
        "dataset", config.dataset.name, choices: Array(catalog.datasets.keys), file: file, keyPath: key("dataset.name"))
    }
    if let n = config.dataset.trainSize, n < 1 || n > dataset.fullTrainSize {
      throw fail("dataset.train_size", "must be in [1, \(dataset.fullTrainSize)] for \(config.dataset.name), got \(n)")
    }
    if let n = config.dataset.testSize, n < 1 || n > dataset.fullTestSize {
      throw fail("dataset.test_size", "must be in [1, \(dataset.fullTestSize)] for \(config.dataset.name), got \(n)")
    }
    if !RunLimits.seeds.contains(config.dataset.subsetSeed) {
      throw fail(
        "dataset.subset_seed", "must be in \(RunLimits.text(RunLimits.seeds)), got \(config.dataset.subsetSeed)")
    }
    if !RunLimits.seeds.contains(config.seed) {
      throw fail("seed", "must be in \(RunLimits.text(RunLimits.seeds)), got \(config.seed)")
    }

    guard let model = catalog.models[config.model.name] else {
      throw SpecError.unknown(
        "model", config.model.name, choices: Array(catalog.models.keys), file: file, keyPath: key("model.name"))
    }
    if !model.tasks.contains(dataset.task) {
      throw SpecError(
        file: file, keyPath: key("model.name"),
        message:
          "model '\(config.model.name)' is a \(model.task.rawValue) model but dataset '\(config.dataset.name)' is a "
          + "\(dataset.task.rawValue) dataset",
        suggestion: "\(dataset.task.rawValue) models: "
          + catalog.models.filter { $0.value.tasks.contains(dataset.task) }.keys.sorted().joined(
            separator: ", "))
    }
    if let out = config.eval.classes.first(where: { $0 >= dataset.classes }) {
      throw fail(
        "eval.classes",
        "class \(out) is not one of \(config.dataset.name)'s \(dataset.classes) classes (0–\(dataset.classes - 1))")
    }
    if !config.eval.classes.isEmpty, dataset.task != .classification {
      throw fail("eval.classes", "selects images by class label: a \(dataset.task.rawValue) dataset has none")
    }
    config.model.params = try resolveParameters(
      config.model.params, model.parameters, owner: "model '\(config.model.name)'", path: key("model"), file: file)

    try RunLimits.checkWidths(config.model, stages: model.stages, fail: fail)
    try RunLimits.checkTraining(config.train, fail: fail)
    // Weights first, from the parameters alone: the sites come from building the model, which must not be tried
    // with weights that would not fit.
    func memory(_ sites: [Site]?) -> Int {
      model.memoryEstimate(
        inputShape: dataset.imageShape, classes: dataset.classes, batch: config.train.batch,
        parameters: config.model.params, sites: sites)
    }
    var bytes = memory(nil)
    if bytes <= RunLimits.memoryBytes {
      bytes = memory(model.sites(inputShape: dataset.imageShape, parameters: config.model.params))
    }
    if bytes > RunLimits.memoryBytes {
      throw fail(
        "model",
        "needs about \(RunLimits.gib(bytes)) GiB for weights, optimiser state and one batch's activations "
          + "(batch \(config.train.batch)); the limit is \(RunLimits.gib(RunLimits.memoryBytes)) GiB")
    }

    var primary = config.regularizer
    primary.with = []
    primary = try resolveRegularizer(
      primary, path: key("regularizer"), model: model, dataset: dataset, modelConfig: config.model, catalog: catalog,
      file: file)
    var companions: [RegularizerConfig] = []
    for (i, companion) in config.regularizer.with.enumerated() {
      let path = key("regularizer.with.\(i)")
      if companion.name == "none" {
        throw SpecError(
          file: file, keyPath: path + ".name", message: "none cannot be listed in with",
          suggestion: "leave it out (with lists the regularizers that act besides the first)")
      }
      companions.append(
        try resolveRegularizer(
          companion, path: path, model: model, dataset: dataset, modelConfig: config.model, catalog: catalog,
          file: file))
    }
    primary.with = companions
    config.regularizer = primary
    for (i, r) in ([primary] + companions).enumerated()
    where catalog.regularizers[r.name]?.needsValidation == true && config.dataset.validationFraction == 0 {
      throw SpecError(
        file: file, keyPath: key(i == 0 ? "regularizer.name" : "regularizer.with.\(i - 1).name"),
        message: "\(r.name) reads a validation split, and this run holds none out",
        suggestion: "set dataset.validation_fraction (the paper holds out 0.2) for every arm, so all see the same data")
    }
    try checkSharedSites(config.regularizer, catalog: catalog, path: key("regularizer"), file: file)
    return config
  }

  /// One regularizer of a run: known name, parameters in range with defaults filled, sites resolved (defaults,
  /// patterns) and valid for the method, per-site overrides checked.
  static func resolveRegularizer(
    _ given: RegularizerConfig, path: String, model: any ModelDescription, dataset: DatasetInfo,
    modelConfig: ModelConfig,
    catalog: Catalog, file: String
  ) throws(SpecError) -> RegularizerConfig {
    var r = given
    func fail(_ message: String) -> SpecError { SpecError(file: file, keyPath: path, message: message) }
    guard let regularizer = catalog.regularizers[r.name] else {
      throw SpecError.unknown(
        "regularizer", r.name, choices: Array(catalog.regularizers.keys), file: file, keyPath: path + ".name")
    }
    r.params = try resolveParameters(
      r.params, regularizer.parameters, owner: "regularizer '\(r.name)'", path: path, file: file)
    if r.name == "none" {
      // `none` acts nowhere: sites given to it are a mistake (a misspelt method, or sites meant for another arm).
      if !r.at.isEmpty {
        throw SpecError(
          file: file, keyPath: path + ".at", message: "regularizer 'none' acts at no site, but at lists \(r.at)",
          suggestion: "leave out at for none")
      }
      return r
    }
    let kind = regularizer.plugPoint.siteKind
    let sites = model.sites(inputShape: dataset.imageShape, parameters: modelConfig.params).filter { $0.kind == kind }
    if r.at.isEmpty {
      r.at = regularizer.defaultSites ?? (kind == .activation ? model.defaultSites : sites.map(\.name))
    }
    r.at = try expandPatterns(r.at, sites: sites, kind: kind, model: modelConfig.name, path: path + ".at", file: file)
    for site in r.siteParams.keys.sorted() where !r.at.contains(site) {
      throw SpecError(
        file: file, keyPath: "\(path).site_params.\(site)",
        message:
          "site_params names site '\(site)', which is not in \(path.hasSuffix("regularizer") ? "regularizer.at" : "its at")",
        suggestion: "sites in at: \(r.at.joined(separator: ", "))")
    }
    for name in r.at {
      let site = sites.first { $0.name == name }!
      var params = r.params
      if let overrides = r.siteParams[name] {
        params = try resolveParameters(
          r.params(at: name), regularizer.parameters, owner: "regularizer '\(r.name)'",
          path: "\(path).site_params.\(name)", file: file)
        r.siteParams[name] = params.filter { overrides[$0.key] != nil }
      }
      if let problem = regularizer.problem(params, at: site) {
        throw fail("at site '\(name)' (shape \(site.shape)): \(problem)")
      }
    }
    return r
  }

  /// Parameters resolved by their descriptions (`[ParameterDescription].resolve`, the one parameter checker), a
  /// problem reported at its key path with the nearest valid name.
  static func resolveParameters(
    _ params: [String: ConfigValue], _ descriptions: [ParameterDescription], owner: String, path: String,
    file: String
  ) throws(SpecError) -> [String: ConfigValue] {
    do {
      return try descriptions.resolve(params, owner: owner)
    } catch {
      throw SpecError(
        file: file, keyPath: "\(path).\(error.key)", message: error.message,
        suggestion: error.choices.map { choiceSuggestion(for: error.given ?? "", choices: $0) } ?? error.doc)
    }
  }
}

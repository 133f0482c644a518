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
    if let n = config.dataset.trainSize, n < 1 || n > dataset.trainMax {
      throw fail("dataset.train_size", "must be in [1, \(dataset.trainMax)] for \(config.dataset.name), got \(n)")
    }
    if let n = config.dataset.testSize, n < 1 || n > dataset.testMax {
      throw fail("dataset.test_size", "must be in [1, \(dataset.testMax)] for \(config.dataset.name), got \(n)")
    }

    guard let model = catalog.models[config.model.name] else {
      throw SpecError.unknown(
        "model", config.model.name, choices: Array(catalog.models.keys), file: file, keyPath: key("model.name"))
    }
    if model.task != dataset.task {
      throw SpecError(
        file: file, keyPath: key("model.name"),
        message: "model '\(config.model.name)' is a \(model.task) model but dataset '\(config.dataset.name)' is a "
          + "\(dataset.task) dataset",
        suggestion: "\(dataset.task) models: "
          + catalog.models.filter { $0.value.task == dataset.task }.keys.sorted().joined(separator: ", "))
    }
    config.model.params = try resolveParameters(
      config.model.params, specs: model.parameters, owner: "model '\(config.model.name)'", path: key("model"),
      file: file)

    try validateTrain(config.train, fail: fail)

    guard let regularizer = catalog.regularizers[config.regularizer.name] else {
      throw SpecError.unknown(
        "regularizer", config.regularizer.name, choices: Array(catalog.regularizers.keys), file: file,
        keyPath: key("regularizer.name"))
    }
    config.regularizer.params = try resolveParameters(
      config.regularizer.params, specs: regularizer.parameters, owner: "regularizer '\(config.regularizer.name)'",
      path: key("regularizer"), file: file)
    if config.regularizer.name == "none" {
      config.regularizer.at = []
      return config
    }
    if config.regularizer.at.isEmpty { config.regularizer.at = regularizer.defaultSites ?? model.defaultSites }
    let shapes = model.siteShapes(dataset.imageShape, config.model.params)
    for site in config.regularizer.siteParams.keys.sorted() where !config.regularizer.at.contains(site) {
      throw SpecError(
        file: file, keyPath: key("regularizer.site_params.\(site)"),
        message: "site_params names site '\(site)', which is not in regularizer.at",
        suggestion: "sites in at: \(config.regularizer.at.joined(separator: ", "))")
    }
    for site in config.regularizer.at {
      guard let shape = shapes[site] else {
        throw SpecError(
          file: file, keyPath: key("regularizer.at"), message: "unknown site '\(site)' in model '\(config.model.name)'",
          suggestion: choiceSuggestion(for: site, choices: Array(shapes.keys)))
      }
      var params = config.regularizer.params
      if let overrides = config.regularizer.siteParams[site] {
        params = try resolveParameters(
          config.regularizer.params(at: site), specs: regularizer.parameters,
          owner: "regularizer '\(config.regularizer.name)'", path: key("regularizer.site_params.\(site)"), file: file)
        config.regularizer.siteParams[site] = params.filter { overrides[$0.key] != nil }
      }
      if let problem = regularizer.validate(params, shape) {
        throw fail("regularizer", "at site '\(site)' (shape \(shape)): \(problem)")
      }
    }
    return config
  }

  private static func validateTrain(_ t: TrainConfig, fail: (String, String) -> SpecError) throws(SpecError) {
    if t.epochs <= 0 { throw fail("train.epochs", "must be positive, got \(t.epochs)") }
    if t.batch <= 0 { throw fail("train.batch", "must be positive, got \(t.batch)") }
    if t.evalEvery <= 0 { throw fail("train.eval_every", "must be positive, got \(t.evalEvery)") }
    if t.evalBatch <= 0 { throw fail("train.eval_batch", "must be positive, got \(t.evalBatch)") }
    if !(t.lr > 0) || !t.lr.isFinite { throw fail("train.lr", "must be positive, got \(formatNumber(t.lr))") }
    if !(0..<1).contains(t.momentum) {
      throw fail("train.momentum", "must be in [0, 1), got \(formatNumber(t.momentum))")
    }
    if !(t.weightDecay >= 0) { throw fail("train.weight_decay", "must be ≥ 0, got \(formatNumber(t.weightDecay))") }
    if !(t.gamma > 0) { throw fail("train.gamma", "must be positive, got \(formatNumber(t.gamma))") }
    if t.warmupEpochs < 0 { throw fail("train.warmup_epochs", "must be ≥ 0, got \(formatNumber(t.warmupEpochs))") }
    if let c = t.maxNorm, !(c > 0) { throw fail("train.max_norm", "must be positive, got \(formatNumber(c))") }
    if !(0..<1).contains(t.adamBeta1) {
      throw fail("train.adam_beta1", "must be in [0, 1), got \(formatNumber(t.adamBeta1))")
    }
    if !(0..<1).contains(t.adamBeta2) {
      throw fail("train.adam_beta2", "must be in [0, 1), got \(formatNumber(t.adamBeta2))")
    }
    for (i, m) in t.milestones.enumerated() {
      if !(m > 0 && m < 1) {
        throw fail("train.milestones", "milestones are fractions of training in (0, 1), got \(formatNumber(m))")
      }
      if i > 0, m <= t.milestones[i - 1] {
        throw fail("train.milestones", "milestones must increase, got \(t.milestones)")
      }
    }
  }
}

/// Checks parameters against their specs, fills defaults, and normalises types. Unknown keys are errors.
func resolveParameters(
  _ params: [String: ConfigValue], specs: [ParameterSpec], owner: String, path: String, file: String
) throws(SpecError) -> [String: ConfigValue] {
  let names = specs.map(\.name)
  for key in params.keys.sorted() where !names.contains(key) {
    throw SpecError(
      file: file, keyPath: "\(path).\(key)", message: "unknown parameter '\(key)' of \(owner)",
      suggestion: choiceSuggestion(for: key, choices: names))
  }
  var resolved: [String: ConfigValue] = [:]
  for spec in specs {
    let keyPath = "\(path).\(spec.name)"
    guard let value = params[spec.name] ?? spec.defaultValue else {
      throw SpecError(
        file: file, keyPath: keyPath, message: "missing required parameter '\(spec.name)' of \(owner)",
        suggestion: spec.doc.isEmpty ? nil : spec.doc)
    }
    if value == .null, spec.defaultValue == .null {
      resolved[spec.name] = .null
      continue
    }
    resolved[spec.name] = try check(value, against: spec.kind, keyPath: keyPath, file: file)
  }
  return resolved
}

private func check(_ value: ConfigValue, against kind: ParameterSpec.Kind, keyPath: String, file: String)
  throws(SpecError) -> ConfigValue
{
  func fail(_ message: String) -> SpecError { SpecError(file: file, keyPath: keyPath, message: message) }
  switch kind {
  case .double(let lo, let hi, let loIn, let hiIn):
    let x = try MapReader.double(value, at: keyPath, file: file)
    let aboveLow = lo.map { loIn ? x >= $0 : x > $0 } ?? true
    let belowHigh = hi.map { hiIn ? x <= $0 : x < $0 } ?? true
    if !(aboveLow && belowHigh) || x.isNaN {
      throw fail("must be \(intervalText(lo: lo, hi: hi, loIn: loIn, hiIn: hiIn)), got \(formatNumber(x))")
    }
    return .double(x)
  case .int(let lo, let hi):
    let n = try MapReader.int(value, at: keyPath, file: file)
    if let lo, n < lo {
      throw fail("must be \(intervalText(lo: Double(lo), hi: hi.map(Double.init), loIn: true, hiIn: true)), got \(n)")
    }
    if let hi, n > hi {
      throw fail("must be \(intervalText(lo: lo.map(Double.init), hi: Double(hi), loIn: true, hiIn: true)), got \(n)")
    }
    return .int(n)
  case .choice(let choices):
    let s = try MapReader.string(value, at: keyPath, file: file)
    guard choices.contains(s) else {
      throw SpecError(
        file: file, keyPath: keyPath, message: "unknown value '\(s)'",
        suggestion: choiceSuggestion(for: s, choices: choices))
    }
    return value
  case .bool:
    guard value.asBool != nil else { throw fail("expected true or false, got \(value.typeName) '\(value)'") }
    return value
  case .intList:
    guard let list = value.asList else { throw fail("expected a list of integers, got \(value.typeName) '\(value)'") }
    var out: [ConfigValue] = []
    for (i, item) in list.enumerated() { out.append(.int(try MapReader.int(item, at: "\(keyPath)[\(i)]", file: file))) }
    return .list(out)
  case .doubleList:
    guard let list = value.asList else { throw fail("expected a list of numbers, got \(value.typeName) '\(value)'") }
    var out: [ConfigValue] = []
    for (i, item) in list.enumerated() {
      out.append(.double(try MapReader.double(item, at: "\(keyPath)[\(i)]", file: file)))
    }
    return .list(out)
  }
}

/// "in [0, 1)", "≥ 0", "> 0".
func intervalText(lo: Double?, hi: Double?, loIn: Bool, hiIn: Bool) -> String {
  switch (lo, hi) {
  case (let lo?, let hi?): return "in \(loIn ? "[" : "(")\(formatNumber(lo)), \(formatNumber(hi))\(hiIn ? "]" : ")")"
  case (let lo?, nil): return "\(loIn ? "≥" : ">") \(formatNumber(lo))"
  case (nil, let hi?): return "\(hiIn ? "≤" : "<") \(formatNumber(hi))"
  case (nil, nil): return "a number"
  }
}

/// A number without a trailing ".0" when it is integral ("1", "0.5").
func formatNumber(_ x: Double) -> String {
  if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
  return x.description
}

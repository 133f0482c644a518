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
        message: "model '\(config.model.name)' is a \(model.task) model but dataset '\(config.dataset.name)' is a "
          + "\(dataset.task) dataset",
        suggestion: "\(dataset.task) models: "
          + catalog.models.filter { $0.value.tasks.contains(dataset.task) }.keys.sorted().joined(separator: ", "))
    }
    if let out = config.eval.classes.first(where: { $0 >= dataset.classes }) {
      throw fail("eval.classes", "class \(out) is not one of \(config.dataset.name)'s \(dataset.classes) classes (0–\(dataset.classes - 1))")
    }
    if !config.eval.classes.isEmpty, dataset.task != "classification" {
      throw fail("eval.classes", "selects images by class label: a \(dataset.task) dataset has none")
    }
    config.model.params = try resolveParameters(
      config.model.params, specs: model.parameters, owner: "model '\(config.model.name)'", path: key("model"),
      file: file)

    try validateWidths(config.model, fail: fail)
    try validateTrain(config.train, fail: fail)
    // Weights first, from the parameters alone: the sites come from building the model, which must not be tried
    // with weights that would not fit.
    var bytes = RunLimits.memoryEstimate(
      config.model, sites: [:], input: dataset.imageShape, classes: dataset.classes, batch: config.train.batch)
    if bytes <= RunLimits.memoryBytes {
      bytes = RunLimits.memoryEstimate(
        config.model, sites: model.siteShapes(dataset.imageShape, config.model.params), input: dataset.imageShape,
        classes: dataset.classes, batch: config.train.batch)
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
    _ given: RegularizerConfig, path: String, model: ModelInfo, dataset: DatasetInfo, modelConfig: ModelConfig,
    catalog: Catalog, file: String
  ) throws(SpecError) -> RegularizerConfig {
    var r = given
    func fail(_ message: String) -> SpecError { SpecError(file: file, keyPath: path, message: message) }
    guard let regularizer = catalog.regularizers[r.name] else {
      throw SpecError.unknown(
        "regularizer", r.name, choices: Array(catalog.regularizers.keys), file: file, keyPath: path + ".name")
    }
    r.params = try resolveParameters(
      r.params, specs: regularizer.parameters, owner: "regularizer '\(r.name)'", path: path, file: file)
    if r.name == "none" {
      // `none` acts nowhere: sites given to it are a mistake (a misspelt method, or sites meant for another arm).
      if !r.at.isEmpty {
        throw SpecError(
          file: file, keyPath: path + ".at", message: "regularizer 'none' acts at no site, but at lists \(r.at)",
          suggestion: "leave out at for none")
      }
      return r
    }
    let sites = model.sites(dataset.imageShape, modelConfig.params).filter { $0.kind == regularizer.siteKind }
    if r.at.isEmpty {
      r.at = regularizer.defaultSites ?? (regularizer.siteKind == "activation" ? model.defaultSites : sites.map(\.name))
    }
    r.at = try expandPatterns(
      r.at, sites: sites, kind: regularizer.siteKind, model: modelConfig.name, path: path + ".at", file: file)
    for site in r.siteParams.keys.sorted() where !r.at.contains(site) {
      throw SpecError(
        file: file, keyPath: "\(path).site_params.\(site)",
        message: "site_params names site '\(site)', which is not in \(path.hasSuffix("regularizer") ? "regularizer.at" : "its at")",
        suggestion: "sites in at: \(r.at.joined(separator: ", "))")
    }
    for name in r.at {
      let site = sites.first { $0.name == name }!
      var params = r.params
      if let overrides = r.siteParams[name] {
        params = try resolveParameters(
          r.params(at: name), specs: regularizer.parameters, owner: "regularizer '\(r.name)'",
          path: "\(path).site_params.\(name)", file: file)
        r.siteParams[name] = params.filter { overrides[$0.key] != nil }
      }
      if let problem = regularizer.validate(params, site) {
        throw fail("at site '\(name)' (shape \(site.shape)): \(problem)")
      }
    }
    return r
  }

  /// Several regularizers in one run: each method once; a weight, branch or training site taken by one of them
  /// only (activation sites compose, in the order listed).
  static func checkSharedSites(_ regularizer: RegularizerConfig, catalog: Catalog, path: String, file: String)
    throws(SpecError)
  {
    let all = [regularizer] + regularizer.with
    var owner: [String: String] = [:]
    var seen: Set<String> = []
    for (i, r) in all.enumerated() where r.name != "none" {
      let here = i == 0 ? path : "\(path).with.\(i - 1)"
      if !seen.insert(r.name).inserted {
        throw SpecError(
          file: file, keyPath: here + ".name", message: "\(r.name) is listed twice in one run",
          suggestion: "use one entry with site_params for different settings at different sites")
      }
      let kind = catalog.regularizers[r.name]?.siteKind ?? "activation"
      guard kind != "activation" else { continue }
      for site in r.at {
        if let other = owner["\(kind):\(site)"] {
          throw SpecError(
            file: file, keyPath: here + ".at",
            message: "\(kind) site '\(site)' is taken by both \(other) and \(r.name); a \(kind) site takes one regularizer",
            suggestion: "give them different sites")
        }
        owner["\(kind):\(site)"] = r.name
      }
    }
  }

  /// `at` with every pattern (`block*`, `block*_skip`: `*` matches any run of characters) replaced by the
  /// model's sites of the method's kind that match it, in build order; every plain name must be such a site.
  static func expandPatterns(
    _ at: [String], sites: [SiteInfo], kind: String, model: String, path: String, file: String
  ) throws(SpecError) -> [String] {
    var out: [String] = []
    for entry in at {
      let matches = sites.map(\.name).filter { sitePattern(entry, matches: $0) }
      guard !matches.isEmpty else {
        throw SpecError(
          file: file, keyPath: path,
          message: entry.contains("*")
            ? "the pattern '\(entry)' matches no \(kind) site of model '\(model)'"
            : "unknown site '\(entry)' in model '\(model)'" + (kind == "activation" ? "" : " (\(kind) sites)"),
          suggestion: sites.isEmpty
            ? "model '\(model)' has no \(kind) sites" : choiceSuggestion(for: entry, choices: sites.map(\.name)))
      }
      for name in matches where !out.contains(name) { out.append(name) }
    }
    return out
  }

  /// Whether `name` matches `pattern`, where `*` stands for any (possibly empty) run of characters.
  static func sitePattern(_ pattern: String, matches name: String) -> Bool {
    let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    guard parts.count > 1 else { return pattern == name }
    guard name.hasPrefix(parts[0]), name.hasSuffix(parts.last!),
      name.count >= parts[0].count + parts.last!.count
    else { return false }
    var rest = Substring(name.dropFirst(parts[0].count).dropLast(parts.last!.count))
    for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
      guard let range = rest.range(of: middle) else { return false }
      rest = rest[range.upperBound...]
    }
    return true
  }

  /// Widths index the model's stages (resnet and unet-tiny have three), and a zero or negative width would reach
  /// the engine as an empty or negative allocation.
  private static func validateWidths(_ m: ModelConfig, fail: (String, String) -> SpecError) throws(SpecError) {
    guard case .list(let items)? = m.params["widths"] else { return }
    let widths = items.compactMap(\.asInt)
    let stages = ["resnet": 3, "unet-tiny": 3][m.name]
    if let stages, widths.count != stages {
      throw fail("model.widths", "\(m.name) takes exactly \(stages) widths (one per stage), got \(widths.count)")
    }
    if widths.isEmpty { throw fail("model.widths", "needs at least one width") }
    for (i, w) in widths.enumerated() where !RunLimits.width.contains(w) {
      throw fail("model.widths[\(i)]", "must be in \(RunLimits.text(RunLimits.width)), got \(w)")
    }
  }

  private static func validateTrain(_ t: TrainConfig, fail: (String, String) -> SpecError) throws(SpecError) {
    func limit(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws(SpecError) {
      if !range.contains(value) { throw fail(key, "must be in \(RunLimits.text(range)), got \(value)") }
    }
    try limit("train.epochs", t.epochs, RunLimits.epochs)
    try limit("train.batch", t.batch, RunLimits.batch)
    try limit("train.eval_every", t.evalEvery, RunLimits.epochs)
    try limit("train.eval_batch", t.evalBatch, RunLimits.batch)
    if let steps = t.steps { try limit("train.steps", steps, RunLimits.steps) }
    if !(t.lr > 0) || !t.lr.isFinite { throw fail("train.lr", "must be positive, got \(formatNumber(t.lr))") }
    if !(0..<1).contains(t.momentum) {
      throw fail("train.momentum", "must be in [0, 1), got \(formatNumber(t.momentum))")
    }
    if !(t.weightDecay >= 0) { throw fail("train.weight_decay", "must be ≥ 0, got \(formatNumber(t.weightDecay))") }
    if !(t.gamma > 0) { throw fail("train.gamma", "must be positive, got \(formatNumber(t.gamma))") }
    if !(t.warmupEpochs >= 0 && t.warmupEpochs <= Double(RunLimits.epochs.upperBound)) {
      throw fail(
        "train.warmup_epochs",
        "must be in [0, \(RunLimits.epochs.upperBound)], got \(formatNumber(t.warmupEpochs))")
    }
    if let c = t.maxNorm, !(c > 0 && c.isFinite) {
      throw fail("train.max_norm", "must be positive and finite, got \(formatNumber(c))")
    }
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

/// Bounds on what one run may ask for. They are far beyond every spec's full scale and keep arithmetic on them
/// (epochs × training-set size, steps × batch, widths × widths) inside 64 bits and the run inside this machine.
public enum RunLimits {
  /// Seeds are labels of replicates; they become 64-bit RNG keys, and negative ones cannot.
  public static let seeds = 0...Int(UInt32.max)
  public static let epochs = 1...10_000
  public static let steps = 1...100_000_000
  public static let batch = 1...65_536
  public static let width = 1...65_536
  /// Estimated memory of one run (see `memoryEstimate`).
  public static let memoryBytes = 2 << 30

  static func text(_ r: ClosedRange<Int>) -> String { "[\(r.lowerBound), \(r.upperBound)]" }

  static func gib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / Double(1 << 30)) }

  /// Float32 bytes of weights (×4: weights, gradients and up to two optimiser moments) plus one training batch's
  /// activations (×8: each site's output, its mask and gradients, the layers around it; ×blocks per resnet stage).
  /// An estimate for refusing configs that could never run, not a prediction of peak memory.
  static func memoryEstimate(
    _ m: ModelConfig, sites: [String: [Int]], input: [Int], classes: Int, batch: Int
  ) -> Int {
    var widths: [Int] = []
    if case .list(let items)? = m.params["widths"] { widths = items.compactMap(\.asInt) }
    let blocks = m.params["blocks"]?.asInt ?? 1
    var weights = 0.0
    if m.name == "mlp" {
      let layers = [Double(input.reduce(1, *))] + widths.map(Double.init) + [Double(classes)]
      for i in 1..<layers.count { weights += layers[i - 1] * layers[i] + layers[i] }
    } else {
      // Two 3×3 convolutions per block; unet-tiny has each level twice (encoder and decoder).
      weights = widths.reduce(0.0) { $0 + 18 * Double(blocks) * 2 * Double($1) * Double($1) }
    }
    let activations = sites.values.reduce(0.0) { $0 + $1.reduce(1.0) { $0 * Double($1) } }
    let bytes = 4 * (4 * weights + 8 * Double(batch) * Double(blocks) * activations)
    return bytes >= Double(Int.max / 2) ? Int.max / 2 : Int(bytes)
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
    let checked = try check(value, against: spec.kind, keyPath: keyPath, file: file)
    if spec.omittedAtDefault, let d = spec.defaultValue,
      checked == (try? check(d, against: spec.kind, keyPath: keyPath, file: file))
    {
      continue
    }
    resolved[spec.name] = checked
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

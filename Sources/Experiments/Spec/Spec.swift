import Foundation

/// One experiment: a paper's claim, the proxy setting we test it in, the base run config, the sweep and seeds.
/// Parsed from `Experiments/<id>.yaml`; encodes as the same (order-preserving) tree, so results JSON carries the
/// spec exactly as it was run.
public struct ExperimentSpec: Codable, Sendable, Equatable {
  /// Where the claim comes from.
  public struct Paper: Sendable, Equatable {
    public var cite: String
    /// Figure or table, e.g. "Fig. 3".
    public var `where`: String?
    /// The paper's number or finding, e.g. "CIFAR-10 best at L=16 of 32 px".
    public var result: String?
    /// The paper's effect in the terms of our check, shown beside ours (`paper.effect`, from claims.md), e.g.
    /// "+1.33 pt top-1 (DropBlock 78.13 vs dropout 76.80)".
    public var effect: String?
    /// The paper's curve, where it gives one: (x on our axis, y in the paper's metric), drawn on a second axis.
    public var points: [[Double]]
    /// What the paper's y is, e.g. "CIFAR-10 test error (%)".
    public var pointsLabel: String?
    /// The paper's number per method, for a comparison of methods (`paper.values: {dropout: 76.80, …}`), drawn
    /// beside each arm of that method on a second axis labelled `pointsLabel`.
    public var values: [String: Double]

    public init(
      cite: String, where: String? = nil, result: String? = nil, effect: String? = nil, points: [[Double]] = [],
      pointsLabel: String? = nil, values: [String: Double] = [:]
    ) {
      self.values = values
      self.cite = cite
      self.where = `where`
      self.result = result
      self.effect = effect
      self.points = points
      self.pointsLabel = pointsLabel
    }
  }

  /// The claim in words, as a check, and the regime the check needs to mean anything.
  public struct Claim: Sendable, Equatable {
    public var text: String
    public var check: ClaimCheck
    public var regime: Regime?
    /// The claim as the question its figure asks ("Does test accuracy peak at an interior patch length?"); display
    /// only. Figures without one are titled "<metric> vs <axis>".
    public var question: String?
    /// The paper's effect and any premise the proxy lacks: what decides `not testable` (`Testability`).
    public var testability: Testability?

    public init(
      text: String, check: ClaimCheck, regime: Regime? = nil, question: String? = nil, testability: Testability? = nil
    ) {
      self.text = text
      self.check = check
      self.regime = regime
      self.question = question
      self.testability = testability
    }
  }

  /// What differs from the paper, said plainly in the report.
  public struct Setting: Sendable, Equatable {
    public var paper: String
    public var ours: String

    public init(paper: String, ours: String) {
      self.paper = paper
      self.ours = ours
    }
  }

  /// Must equal the file name stem.
  public var id: String
  public var title: String
  /// The regularizer the claim is about; the verdict table groups by its taxonomy tag.
  public var method: String
  public var paper: Paper
  public var claim: Claim
  public var setting: Setting
  /// The base run config (dataset, model, regularizer, train), before the sweep and seeds.
  public var base: ConfigValue
  public var sweep: Sweep
  public var seeds: [Int]
  /// Scale name → map of dotted overrides (`train.epochs: 1`, `seeds: [0]`, `sweep.<key>: [...]`).
  public var scales: [String: ConfigValue]
  public var report: ReportOptions?
  /// The tuning budget of a comparison of methods (`tune:`), applied at the scales it names.
  public var tune: TuningBudget?
  /// How `dropbench calibrate` chooses the proxy's budget (`calibration:`); nil: the default plan (the spec as
  /// written, five pilot seeds from 1000).
  public var calibration: CalibrationPlan?
  /// An incidental setting run again on some arms and shown beside the verdict without entering it (`robustness:`).
  public var robustness: RobustnessAxis?
  /// Human names of the arms (`names:`); display only, never part of a run config (`ArmNames`).
  public var names: ArmNames?
  /// One of the headline claims `dropbench replicate --headline` runs (the set kept within 90 minutes on 2 cores).
  public var headline: Bool = false
  /// Where the spec was read from, for error messages; never encoded or compared.
  var source = SourceInfo()

  /// The file errors name ("" for a spec built in code or decoded from results JSON).
  var sourceFile: String { source.file }

  public init(
    id: String, title: String, method: String, paper: Paper, claim: Claim, setting: Setting, base: ConfigValue,
    sweep: Sweep, seeds: [Int], scales: [String: ConfigValue] = [:], report: ReportOptions? = nil
  ) {
    self.id = id
    self.title = title
    self.method = method
    self.paper = paper
    self.claim = claim
    self.setting = setting
    self.base = base
    self.sweep = sweep
    self.seeds = seeds
    self.scales = scales
    self.report = report
  }

  static let topKeys = [
    "id", "title", "method", "paper", "claim", "setting", "base", "sweep", "seeds", "scales", "report", "headline",
    "tune", "calibration", "names", "robustness",
  ]

  /// Reads and parses a spec file. The id must equal the file name stem.
  public static func load(path: String) throws(SpecError) -> ExperimentSpec {
    let shown = displayPath(path)
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw SpecError(file: shown, keyPath: "", message: "cannot read the file (missing, unreadable or not UTF-8)")
    }
    return try parse(yaml: text, fileName: shown)
  }

  /// Parses spec YAML. `fileName` is used in errors and, when given, its stem must equal `id`.
  public static func parse(yaml: String, fileName: String? = nil) throws(SpecError) -> ExperimentSpec {
    let file = fileName ?? ""
    let document = try loadYAMLDocument(yaml, file: file)
    var spec: ExperimentSpec
    do throws(SpecError) {
      spec = try ExperimentSpec(tree: document.value, keyOrder: document.keyOrder, file: file)
      spec.source = SourceInfo(file: file, document: document)
      try spec.validateNames()
    } catch var error {
      // Semantic errors know the key path; the YAML document knows where that key was written.
      if error.line == nil, error.file == file {
        error.line = document.line(of: error.keyPath)
      }
      throw error
    }
    if let fileName {
      let stem = URL(fileURLWithPath: fileName).deletingPathExtension().lastPathComponent
      if stem != spec.id {
        throw SpecError(
          file: file, line: document.line(of: "id"), keyPath: "id",
          message: "id '\(spec.id)' does not match the file name '\(stem)'",
          suggestion: "rename the file to \(spec.id).yaml or set id: \(stem)")
      }
    }
    return spec
  }

  /// Parses a spec tree (a YAML document or a stored spec).
  init(tree: ConfigValue, keyOrder: [[String]: [String]] = [:], file: String) throws(SpecError) {
    let r = try MapReader(tree, path: "", file: file)
    try r.checkKeys(Self.topKeys)
    id = try r.string("id")
    title = try r.string("title")
    method = try r.string("method")
    let p = try MapReader(try r.required("paper"), path: "paper", file: file)
    try p.checkKeys(["cite", "where", "result", "effect", "points", "points_label", "values"])
    var values: [String: Double] = [:]
    for (name, value) in try p.optionalMap("values") ?? [:] {
      guard let number = value.asDouble else {
        throw SpecError(file: file, keyPath: "paper.values.\(name)", message: "expected a number, got \(value)")
      }
      values[name] = number
    }
    var points: [[Double]] = []
    for (i, item) in (try p.optionalList("points") ?? []).enumerated() {
      let xy = try MapReader.doubleList(item, at: "paper.points[\(i)]", file: file)
      guard xy.count == 2 else {
        throw SpecError(file: file, keyPath: "paper.points[\(i)]", message: "expected [x, y], got \(item)")
      }
      points.append(xy)
    }
    paper = Paper(
      cite: try p.string("cite"), where: try p.optionalString("where"), result: try p.optionalString("result"),
      effect: try p.optionalString("effect"), points: points, pointsLabel: try p.optionalString("points_label"),
      values: values)
    let c = try MapReader(try r.required("claim"), path: "claim", file: file)
    try c.checkKeys(["text", "check", "regime", "question"] + Testability.keys)
    claim = Claim(
      text: try c.string("text"), check: try ClaimCheck(tree: try c.required("check"), path: "claim.check", file: file),
      regime: try c.map["regime"].map { v throws(SpecError) in try Regime(tree: v, path: "claim.regime", file: file) },
      question: try c.optionalString("question"), testability: try Testability(claim: c, file: file))
    let s = try MapReader(try r.required("setting"), path: "setting", file: file)
    try s.checkKeys(["paper", "ours"])
    setting = Setting(paper: try s.string("paper"), ours: try s.string("ours"))
    base = try r.required("base")
    let baseReader = try MapReader(base, path: "base", file: file)
    try baseReader.checkKeys(["dataset", "model", "regularizer", "train", "eval"])
    sweep = try Sweep(tree: r.map["sweep"] ?? .null, keyOrder: keyOrder, path: "sweep", file: file)
    seeds = try Self.parseSeeds(try r.required("seeds"), path: "seeds", file: file)
    scales = [:]
    for (name, overrides) in try r.optionalMap("scales") ?? [:] {
      guard overrides == .null || overrides.asMap != nil else {
        throw r.error("scales.\(name)", "expected a map of dotted overrides, got \(overrides.typeName)")
      }
      scales[name] = overrides == .null ? .map([:]) : overrides
    }
    report = try r.map["report"].flatMap { v throws(SpecError) in
      v == .null ? nil : try ReportOptions(tree: v, file: file)
    }
    headline = try r.optionalBool("headline") ?? false
    let verdictSeeds = seeds
    calibration = try r.map["calibration"].flatMap { v throws(SpecError) in
      v == .null ? nil : try CalibrationPlan(tree: v, path: "calibration", file: file, verdictSeeds: verdictSeeds)
    }
    tune = try r.map["tune"].flatMap { v throws(SpecError) in
      v == .null ? nil : try TuningBudget(tree: v, path: "tune", file: file)
    }
    robustness = try r.map["robustness"].flatMap { v throws(SpecError) in
      v == .null ? nil : try RobustnessAxis(tree: v, path: "robustness", file: file)
    }
    let sweep = self.sweep
    names = try r.map["names"].flatMap { v throws(SpecError) in
      v == .null ? nil : try ArmNames(tree: v, keyOrder: keyOrder, sweep: sweep, file: file)
    }
  }

  static func parseSeeds(_ value: ConfigValue, path: String, file: String) throws(SpecError) -> [Int] {
    guard let list = value.asList else {
      throw SpecError(
        file: file, keyPath: path, message: "expected a list of integers, got \(value.typeName) '\(value)'")
    }
    var seeds: [Int] = []
    for (i, item) in list.enumerated() { seeds.append(try MapReader.int(item, at: "\(path)[\(i)]", file: file)) }
    return seeds
  }

  /// The spec as a tree in the YAML shape (the sweep as an ordered list of one-key maps).
  public var tree: ConfigValue {
    var paperMap: [String: ConfigValue] = ["cite": .string(paper.cite)]
    if let w = paper.where { paperMap["where"] = .string(w) }
    if let result = paper.result { paperMap["result"] = .string(result) }
    if let effect = paper.effect { paperMap["effect"] = .string(effect) }
    if !paper.points.isEmpty { paperMap["points"] = .list(paper.points.map { .list($0.map(ConfigValue.double)) }) }
    if let label = paper.pointsLabel { paperMap["points_label"] = .string(label) }
    if !paper.values.isEmpty { paperMap["values"] = .map(paper.values.mapValues(ConfigValue.double)) }
    var claimMap: [String: ConfigValue] = ["text": .string(claim.text), "check": claim.check.tree]
    if let regime = claim.regime { claimMap["regime"] = regime.tree }
    if let question = claim.question { claimMap["question"] = .string(question) }
    claimMap.merge(claim.testability?.entries ?? [:]) { a, _ in a }
    var m: [String: ConfigValue] = [
      "id": .string(id), "title": .string(title), "method": .string(method), "paper": .map(paperMap),
      "claim": .map(claimMap),
      "setting": .map(["paper": .string(setting.paper), "ours": .string(setting.ours)]), "base": base,
      "sweep": sweep.tree, "seeds": .list(seeds.map(ConfigValue.int)), "scales": .map(scales),
    ]
    if let report { m["report"] = report.tree }
    if headline { m["headline"] = .bool(true) }
    if let tune { m["tune"] = tune.tree }
    if let calibration { m["calibration"] = calibration.tree }
    if let names { m["names"] = names.tree }
    if let robustness { m["robustness"] = robustness.tree }
    return .map(m)
  }

  public init(from decoder: Decoder) throws {
    let tree = try ConfigValue(from: decoder)
    do {
      try self.init(tree: tree, file: "")
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
  }

  public func encode(to encoder: Encoder) throws { try tree.encode(to: encoder) }
}

/// How the report draws the x axis; display only, never part of a run config.
public struct ReportOptions: Sendable, Equatable {
  /// How to show x values: as written, or as 1 − x (e.g. a drop rate shown as the paper's retention p).
  public enum XTransform: String, Sendable, CaseIterable {
    case identity
    case oneMinus = "one_minus"
  }

  public var xLabel: String?
  public var yLabel: String?
  /// The paper's best x, marked on the figure.
  public var paperX: ConfigValue?
  public var xTransform: XTransform
  /// Axis label after the transform, e.g. "retention p".
  public var xTransformLabel: String?
  public var logX: Bool

  public init(
    xLabel: String? = nil, yLabel: String? = nil, paperX: ConfigValue? = nil, xTransform: XTransform = .identity,
    xTransformLabel: String? = nil, logX: Bool = false
  ) {
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.paperX = paperX
    self.xTransform = xTransform
    self.xTransformLabel = xTransformLabel
    self.logX = logX
  }

  init(tree: ConfigValue, file: String) throws(SpecError) {
    let r = try MapReader(tree, path: "report", file: file)
    try r.checkKeys(["x_label", "y_label", "paper_x", "x_transform", "x_transform_label", "log_x"])
    let transformName = try r.optionalString("x_transform") ?? "identity"
    guard let transform = XTransform(rawValue: transformName) else {
      throw SpecError.unknown(
        "x_transform", transformName, choices: XTransform.allCases.map(\.rawValue), file: file,
        keyPath: "report.x_transform")
    }
    self.init(
      xLabel: try r.optionalString("x_label"), yLabel: try r.optionalString("y_label"),
      paperX: r.map["paper_x"].flatMap { $0 == .null ? nil : $0 }, xTransform: transform,
      xTransformLabel: try r.optionalString("x_transform_label"), logX: try r.optionalBool("log_x") ?? false)
  }

  var tree: ConfigValue {
    var m: [String: ConfigValue] = ["x_transform": .string(xTransform.rawValue), "log_x": .bool(logX)]
    if let xLabel { m["x_label"] = .string(xLabel) }
    if let yLabel { m["y_label"] = .string(yLabel) }
    if let paperX { m["paper_x"] = paperX }
    if let xTransformLabel { m["x_transform_label"] = .string(xTransformLabel) }
    return .map(m)
  }
}

/// The file a spec came from and the line of each key, kept so that errors found later (when planning a scale
/// or validating runs) can still point at a line. Two specs compare equal whatever their source.
struct SourceInfo: Sendable, Equatable {
  var file = ""
  var lines: [[String]: Int] = [:]

  init() {}

  init(file: String, document: YAMLDocument) {
    self.file = file
    self.lines = document.lines
  }

  static func == (lhs: SourceInfo, rhs: SourceInfo) -> Bool { true }

  /// Fills in the line of an error about this file when the key was written in it.
  func locate(_ error: SpecError) -> SpecError {
    guard error.line == nil, !file.isEmpty, error.file == file else { return error }
    var located = error
    located.line = YAMLDocument(value: .null, keyOrder: [:], lines: lines).line(of: error.keyPath)
    return located
  }
}

extension YAMLDocument {
  /// The line of a dotted key path, or of its nearest written ancestor.
  func line(of keyPath: String) -> Int? {
    var components = keyPath.split(separator: ".").map(String.init)
    // Sweep keys contain dots themselves, so also try joining the tail back into one key.
    while !components.isEmpty {
      if let line = lines[components] { return line }
      if components.count > 2, let line = lines[[components[0], components[1...].joined(separator: ".")]] {
        return line
      }
      components.removeLast()
    }
    return nil
  }
}

/// A path relative to the working directory when it lies below it, so errors read `Experiments/foo.yaml`.
func displayPath(_ path: String) -> String {
  let cwd = FileManager.default.currentDirectoryPath
  if path.hasPrefix(cwd + "/") { return String(path.dropFirst(cwd.count + 1)) }
  return path
}

import Foundation

/// Everything one `run` of an experiment at one scale will train, in order.
public struct ExperimentPlan: Sendable {
  /// The spec after the scale and the overrides were applied (what results JSON stores).
  public var spec: ExperimentSpec
  public var scale: String
  /// Grid points in grid order (first sweep key slowest).
  public var points: [GridPoint]
  /// Points in grid order, seeds inner; every point uses the same seeds (a paired design). At a tuned scale
  /// each arm's candidates follow one another (knob order), each with every seed. The robustness axis's runs
  /// (`RobustnessAxis`) come after all of these.
  public var runs: [PlannedRun]
  /// The spec's tuning budget when it applies at this scale (`TuningBudget`); nil otherwise.
  public var tuning: TuningBudget?
  /// The command-line overrides applied, as written (`key=value`), in order; empty for the spec as committed.
  public var overrides: [String] = []
}

extension ExperimentPlan {
  /// The runs the claim reads: every planned run but the robustness axis's.
  public var claimRuns: [PlannedRun] { runs.filter { !$0.point.isRobustnessVariant } }
}

/// One training run: a grid point and a seed, with its resolved config.
public struct PlannedRun: Sendable {
  public var point: GridPoint
  public var seed: Int
  public var config: RunConfig
  /// `config.tree`: canonical, defaults filled; its `canonicalJSON` is what the cache key hashes.
  public var configTree: ConfigValue
}

extension ExperimentSpec {
  /// Applies a scale and then the overrides, validates the result against the catalog, and expands the grid.
  /// Every run's config is validated, so a sweep value out of range is reported (as `sweep.<key>`, naming the
  /// point) before anything trains.
  public func plan(scale: String, overrides: [Override] = [], catalog: Catalog) throws(SpecError) -> ExperimentPlan {
    do throws(SpecError) {
      let spec = try applying(scale: scale).applying(overrides)
      try spec.validateStructure(catalog: catalog)
      let points = spec.points()
      var runs: [PlannedRun] = []
      var tasks: Set<String> = []
      let tuning = spec.tune.flatMap { $0.applies(to: scale) ? $0 : nil }
      for point in points {
        var tree = spec.base
        for key in spec.sweep.keys { tree[path: key] = point.coordinates[key] }
        tree[path: "seed"] = .int(spec.seeds[0])
        try spec.validateTuning(tuning, arm: tree, point: point)
        for (candidate, coordinate) in tuning?.candidates(of: tree) ?? [(tree, nil)] {
          var config: RunConfig
          do throws(SpecError) {
            config = try RunConfig.resolve(tree: candidate, catalog: catalog, file: spec.sourceFile, path: "base")
          } catch {
            throw coordinate == nil
              ? spec.attributeToSweep(error, point: point)
              : spec.attributeToTuning(error, point, method: TuningBudget.regularizerName(tree))
          }
          if let task = catalog.datasets[config.dataset.name]?.task { tasks.insert(task.rawValue) }
          var runPoint = point
          if let coordinate, case .map(let m) = coordinate, let (parameter, value) = m.first {
            runPoint.coordinates[TuningBudget.coordinate] = coordinate
            runPoint.label += " · \(parameter)=\(value)"
          }
          for seed in spec.seeds {
            config.seed = seed
            runs.append(PlannedRun(point: runPoint, seed: seed, config: config, configTree: config.tree))
          }
        }
      }
      runs += try spec.robustnessRuns(points: points, claimRuns: runs, catalog: catalog)
      try spec.validateCheck(spec.claim.check, path: "claim.check", points: points, tasks: tasks)
      if let tuning, let info = MetricRegistry.info(tuning.metric), tasks.isDisjoint(with: info.tasks) {
        throw SpecError(
          file: spec.sourceFile, keyPath: "tune.metric",
          message: "\(tuning.metric) is not recorded by \(tasks.sorted().joined(separator: ", ")) runs",
          suggestion: MetricRegistry.all.filter { $0.name.hasPrefix("val_") && !$0.tasks.isDisjoint(with: tasks) }
            .map(\.name).joined(separator: ", "))
      }
      return ExperimentPlan(
        spec: spec, scale: scale, points: points, runs: runs, tuning: tuning, overrides: overrides.map(\.description))
    } catch {
      throw Self.attributeToOverrides(source.locate(error), overrides)
    }
  }

  /// The robustness axis's runs (`RobustnessAxis`), after every claim run: each chosen arm with the axis's settings
  /// applied, on the verdict's seeds.
  func robustnessRuns(points: [GridPoint], claimRuns: [PlannedRun], catalog: Catalog) throws(SpecError) -> [PlannedRun] {
    guard let axis = robustness else { return [] }
    if tune != nil {
      throw SpecError(
        file: sourceFile, keyPath: "robustness", message: "a tuned spec cannot declare a robustness axis",
        suggestion: "remove tune: or robustness:")
    }
    for (i, selector) in axis.arms.enumerated() where !points.contains(where: { $0.matches(selector) }) {
      throw SpecError(
        file: sourceFile, keyPath: "robustness.arms[\(i)]", message: "selects no grid point",
        suggestion: points.prefix(4).map(\.label).joined(separator: "; "))
    }
    var runs: [PlannedRun] = []
    for point in points where axis.chooses(point) {
      guard let arm = claimRuns.first(where: { $0.point.index == point.index }) else { continue }
      var tree = arm.configTree
      tree[path: "seed"] = nil
      let (variantTree, variantPoint) = axis.variant(of: tree, point: point)
      var config = try RunConfig.resolve(tree: variantTree, catalog: catalog, file: sourceFile, path: "robustness.set")
      config.seed = arm.config.seed
      if config.trainingTree == arm.config.trainingTree {
        throw SpecError(
          file: sourceFile, keyPath: "robustness.set",
          message: "changes nothing for \(point.label): the variant trains the same run",
          suggestion: "set a value other than the arm's own")
      }
      for seed in seeds {
        config.seed = seed
        runs.append(PlannedRun(point: variantPoint, seed: seed, config: config, configTree: config.tree))
      }
    }
    return runs
  }

  /// An error about a key that a `--set` override gave is the command line's, not the spec file's: it names the
  /// override's key (`--set: train.lr: …`), so the user fixes the command, not the YAML.
  static func attributeToOverrides(_ error: SpecError, _ overrides: [Override]) -> SpecError {
    guard error.file != "--set" else { return error }
    let path = error.keyPath.hasPrefix("base.") ? String(error.keyPath.dropFirst("base.".count)) : error.keyPath
    func normalised(_ key: String) -> String {
      var k = key.hasPrefix("base.") ? String(key.dropFirst("base.".count)) : key
      if k.hasPrefix("sweep.zip.") { k = "sweep." + k.dropFirst("sweep.zip.".count) }
      return k
    }
    guard
      let override = overrides.last(where: {
        let key = normalised($0.key)
        return [path, error.keyPath].contains { $0 == key || $0.hasPrefix(key + ".") || $0.hasPrefix(key + "[") }
      })
    else { return error }
    let element = path.hasPrefix(normalised(override.key) + "[") ? String(path.dropFirst(normalised(override.key).count)) : ""
    return SpecError(
      file: "--set", keyPath: override.key + element, message: error.message, suggestion: error.suggestion)
  }

  /// Plans every scale (and `default`), so any mistake a scale would reveal is reported now.
  public func validate(catalog: Catalog) throws(SpecError) {
    for scale in Set(scales.keys).union(["default"]).sorted() {
      _ = try plan(scale: scale, catalog: catalog)
    }
  }

  /// Every arm whose method has a knob gets it; an arm of any other method than `none` without one is an error
  /// (the same budget for every method), and so is a knob the sweep itself varies.
  private func validateTuning(_ tuning: TuningBudget?, arm tree: ConfigValue, point: GridPoint) throws(SpecError) {
    guard let tuning, let name = TuningBudget.regularizerName(tree) else { return }
    guard let knob = tuning.knobs[name] else {
      guard name == "none" else {
        throw SpecError(
          file: sourceFile, keyPath: "tune.knobs",
          message: "no knob for \(name) (arm \(point.label)): every method gets the same tuning budget",
          suggestion: "add \(name): {<parameter>: [<\(tuning.knobs.first?.value.values.count ?? 3) values>]}")
      }
      return
    }
    if let swept = sweep.keys.first(where: { $0 == "regularizer.\(knob.parameter)" }) {
      throw SpecError(
        file: sourceFile, keyPath: "tune.knobs.\(name)",
        message: "the sweep already varies \(swept); tuning it too would choose among the sweep's own arms",
        suggestion: "tune another parameter of \(name), or drop the sweep key")
    }
  }

  /// An error in a tuning candidate's config is the knob's (a parameter the method lacks, a value out of range).
  private func attributeToTuning(_ error: SpecError, _ point: GridPoint, method: String?) -> SpecError {
    var attributed = error
    attributed.keyPath = method.map { "tune.knobs.\($0)" } ?? "tune.knobs"
    attributed.line = nil
    attributed.message += " (a tuning candidate of \(point.label))"
    return attributed
  }

  /// An error about a key the sweep sets is reported at `sweep.<key>` with the offending point, because that is
  /// where the user wrote the value.
  private func attributeToSweep(_ error: SpecError, point: GridPoint) -> SpecError {
    guard error.keyPath.hasPrefix("base.") else { return error }
    let path = String(error.keyPath.dropFirst("base.".count))
    let owner =
      sweep.keys.first { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }
      ?? sweep.keys.first { $0.hasPrefix(path + ".") }
    guard let owner else { return error }
    var attributed = error
    attributed.keyPath = "sweep.\(owner)"
    attributed.message += " (at point \(point.label)\(path == owner ? "" : ", key \(path)"))"
    return attributed
  }
}

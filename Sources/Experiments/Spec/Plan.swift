import Foundation

/// Everything one `run` of an experiment at one scale will train, in order.
public struct ExperimentPlan: Sendable {
  /// The spec after the scale and the overrides were applied (what results JSON stores).
  public var spec: ExperimentSpec
  public var scale: String
  /// Grid points in grid order (first sweep key slowest).
  public var points: [GridPoint]
  /// Points in grid order, seeds inner; every point uses the same seeds (a paired design).
  public var runs: [PlannedRun]
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
      let points = spec.sweep.points()
      var runs: [PlannedRun] = []
      var tasks: Set<String> = []
      for point in points {
        var tree = spec.base
        for key in spec.sweep.keys { tree[path: key] = point.coordinates[key] }
        tree[path: "seed"] = .int(spec.seeds[0])
        var config: RunConfig
        do throws(SpecError) {
          config = try RunConfig.resolve(tree: tree, catalog: catalog, file: spec.sourceFile, path: "base")
        } catch {
          throw spec.attributeToSweep(error, point: point)
        }
        if let task = catalog.datasets[config.dataset.name]?.task { tasks.insert(task) }
        for seed in spec.seeds {
          config.seed = seed
          runs.append(PlannedRun(point: point, seed: seed, config: config, configTree: config.tree))
        }
      }
      try spec.validateCheck(spec.claim.check, path: "claim.check", points: points, tasks: tasks)
      return ExperimentPlan(spec: spec, scale: scale, points: points, runs: runs)
    } catch {
      throw source.locate(error)
    }
  }

  /// Plans every scale (and `default`), so any mistake a scale would reveal is reported now.
  public func validate(catalog: Catalog) throws(SpecError) {
    for scale in Set(scales.keys).union(["default"]).sorted() {
      _ = try plan(scale: scale, catalog: catalog)
    }
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

import Foundation
import NumberFormat

/// The checks of a spec that do not depend on a single run: method, seeds, the sweep's shape, and the claim check's
/// references to sweep keys, metrics and grid values.
extension ExperimentSpec {
  /// Checks that do not depend on a single run: method, seeds, sweep shape.
  func validateStructure(catalog: Catalog) throws(SpecError) {
    let file = sourceFile
    if catalog.regularizers[method] == nil {
      throw SpecError.unknown(
        "regularizer", method, choices: Array(catalog.regularizers.keys), file: file, keyPath: "method")
    }
    if seeds.isEmpty { throw SpecError(file: file, keyPath: "seeds", message: "needs at least one seed") }
    for (i, seed) in seeds.enumerated() where !RunLimits.seeds.contains(seed) {
      throw SpecError(
        file: file, keyPath: "seeds[\(i)]", message: "must be in \(RunLimits.text(RunLimits.seeds)), got \(seed)")
    }
    var seen: Set<Int> = []
    for seed in seeds where !seen.insert(seed).inserted {
      throw SpecError(
        file: file, keyPath: "seeds", message: "duplicate seed \(seed) in \(seeds)",
        suggestion: "each seed is one independent replicate; list it once")
    }
    var keys: Set<String> = []
    for axis in sweep.axes {
      for key in axis.keys {
        if !keys.insert(key).inserted {
          throw SpecError(file: file, keyPath: "sweep.\(key)", message: "the key is swept twice")
        }
        let section = String(key.prefix { $0 != "." })
        guard Self.baseSections.contains(section) else {
          throw SpecError(
            file: file, keyPath: "sweep.\(key)", message: "'\(key)' is not a path into the run config",
            suggestion: key == "seed" || key == "seeds"
              ? "seeds are not a sweep axis; list them under seeds"
              : "sweep keys start with one of: \(Self.baseSections.joined(separator: ", "))")
        }
      }
      switch axis {
      case .values(let key, let values):
        try Self.checkAxisValues(values, path: "sweep.\(key)", file: file)
      case .zip(let keys, let lists):
        // A key of a zip may repeat a value (equal epochs at two sizes); the positions, as tuples, may not.
        for (key, values) in zip(keys, lists) {
          try Self.checkAxisValues(values, path: "sweep.zip.\(key)", file: file, distinct: false)
        }
        let length = lists.map(\.count).min() ?? 0
        var seen: Set<[ConfigValue]> = []
        for i in 0..<length where !seen.insert(lists.map { $0[i] }).inserted {
          throw SpecError(
            file: file, keyPath: "sweep.zip",
            message: "duplicate zip position \(zip(keys, lists.map { $0[i] }).map { "\($0)=\($1)" }.joined(separator: ", "))")
        }
        if Set(lists.map(\.count)).count > 1 {
          let lengths = zip(keys, lists).map { "\($0) has \($1.count)" }.joined(separator: ", ")
          throw SpecError(
            file: file, keyPath: "sweep.zip", message: "zip lists must have equal lengths: \(lengths)")
        }
      }
    }
  }

  private static func checkAxisValues(_ values: [ConfigValue], path: String, file: String, distinct: Bool = true)
    throws(SpecError)
  {
    if values.isEmpty {
      throw SpecError(file: file, keyPath: path, message: "empty sweep list; give at least one value")
    }
    guard distinct else { return }
    var seen: Set<ConfigValue> = []
    for value in values where !seen.insert(value).inserted {
      throw SpecError(file: file, keyPath: path, message: "duplicate sweep value \(value)")
    }
  }

  /// Checks that a claim check refers to real sweep keys, valid metrics and values that exist in the grid.
  func validateCheck(_ check: ClaimCheck, path: String, points: [GridPoint], tasks: Set<String>) throws(SpecError) {
    let file = sourceFile
    let keys = sweep.keys
    // A sweep key, or a field inside a swept map that some point sets (`regularizer.k` of a list of regularizers).
    func requireSweepKey(_ key: String, _ field: String) throws(SpecError) {
      guard keys.contains(key) || points.contains(where: { $0.value(at: key) != nil }) else {
        throw SpecError(
          file: file, keyPath: "\(path).\(field)", message: "'\(key)' is not a sweep key",
          suggestion: keys.isEmpty ? "the spec has no sweep" : choiceSuggestion(for: key, choices: keys))
      }
    }
    for key in check.by { try requireSweepKey(key, "by") }
    for (key, value) in check.filter {
      try requireSweepKey(key, "where")
      if !points.contains(where: { $0.matches([key: value]) }) {
        throw SpecError(
          file: file, keyPath: "\(path).where.\(key)", message: "no grid point has \(key)=\(value)",
          suggestion: "values: " + (sweep.values(of: key) ?? []).map(\.description).joined(separator: ", "))
      }
    }
    // A metric must exist for every dataset the grid uses.
    var validMetrics = Set(Catalog.metrics(forTask: tasks.sorted().first ?? "classification"))
    for task in tasks { validMetrics.formIntersection(Catalog.metrics(forTask: task)) }
    if case .all(let checks) = check.rule {
      for (i, sub) in checks.enumerated() {
        var inherited = sub
        inherited.filter.merge(check.filter) { own, _ in own }
        inherited.by += check.by.filter { !sub.by.contains($0) }
        try validateCheck(inherited, path: "\(path).checks[\(i)]", points: points, tasks: tasks)
      }
      return
    }
    for metric in check.metrics where !validMetrics.contains(metric) {
      throw SpecError.unknown(
        "metric", metric, choices: Array(validMetrics), file: file, keyPath: "\(path).metric")
    }
    let selected = points.filter { $0.matches(check.filter) }
    if let x = check.x {
      try requireSweepKey(x, "x")
      // Another varying axis would give several points per x value; the check could not tell them apart.
      for axis in sweep.axes where !axis.keys.contains(where: { x.isAtOrUnder($0) }) && axis.count > 1 {
        if !axis.keys.contains(where: { check.by.contains($0) || check.filter[$0] != nil }) {
          throw SpecError(
            file: file, keyPath: "\(path).x", message: "the sweep also varies \(axis.keys.joined(separator: ", "))",
            suggestion: "add it to the check's by: or where:")
        }
      }
      var xs: [ConfigValue] = []
      if let values = sweep.values(of: x) {
        xs = values.filter { v in selected.contains { $0.value(at: x) == v } }
      } else {
        // x is a field of a swept map: every selected arm must set it, once per value.
        if let without = selected.first(where: { $0.value(at: x) == nil }) {
          throw SpecError(
            file: file, keyPath: "\(path).x", message: "point \(without.label) has no \(x)",
            suggestion: "select the arms that set it with where:, e.g. where: {\(x.split(separator: ".")[0]): <name>}")
        }
        for point in selected {
          let value = point.value(at: x)!
          if xs.contains(value) {
            throw SpecError(
              file: file, keyPath: "\(path).x", message: "two selected points have \(x) = \(value)",
              suggestion: "narrow the check with where:")
          }
          xs.append(value)
        }
      }
      try validateXRule(check.rule, xs: xs, path: path)
    }
    switch check.rule {
    case .betterThan(_, let a, let b, _), .notBetterThan(_, let a, let b, _), .equivalent(_, let a, let b, _),
      .lessVariable(_, let a, let b):
      for key in a.keys.sorted() { try requireSweepKey(key, "a") }
      for key in b.keys.sorted() { try requireSweepKey(key, "b") }
      for group in groups(of: selected, by: check.by) {
        if case .failure(let problem) = pairPoints(group.points, a: a, b: b) {
          throw SpecError(
            file: file, keyPath: path, message: problem + (group.label.isEmpty ? "" : " (in group \(group.label))"))
        }
      }
    default: break
    }
  }

  private func validateXRule(_ rule: ClaimCheck.Rule, xs: [ConfigValue], path: String) throws(SpecError) {
    let file = sourceFile
    func fail(_ field: String, _ message: String) -> SpecError {
      SpecError(file: file, keyPath: field.isEmpty ? path : "\(path).\(field)", message: message)
    }
    switch rule {
    case .bestIn(let x, _, let range, _):
      let numbers = xs.compactMap(\.asDouble)
      if numbers.count != xs.count { throw fail("x", "argmax_in/argmin_in need numeric values of \(x)") }
      let inside = numbers.filter { $0 >= range[0] && $0 <= range[1] }.count
      if inside == 0 || inside == numbers.count {
        throw fail(
          "range",
          "the range [\(Fmt.plain(range[0])), \(Fmt.plain(range[1]))] must contain some but not all "
            + "values of \(x) (\(xs.map(\.description).joined(separator: ", "))); otherwise the check cannot decide")
      }
    case .plateau(let x, _, let range, _):
      let numbers = xs.compactMap(\.asDouble)
      if numbers.count != xs.count { throw fail("x", "plateau needs numeric values of \(x)") }
      if numbers.filter({ $0 >= range[0] && $0 <= range[1] }).count < 2 {
        throw fail("range", "plateau needs at least 2 values of \(x) in [\(Fmt.plain(range[0])), \(Fmt.plain(range[1]))]")
      }
    case .peakInterior(let x, _, _):
      if xs.count < 3 { throw fail("x", "peak_interior needs at least 3 values of \(x), got \(xs.count)") }
    case .monotone(let x, _, _, let until):
      if xs.count < 2 { throw fail("x", "monotone needs at least 2 values of \(x), got \(xs.count)") }
      if let until, !xs.contains(until) {
        throw fail("until", "\(until) is not a value of \(x) (\(xs.map(\.description).joined(separator: ", ")))")
      }
    case .mostStable(let x, _, let expected):
      if xs.count < 2 { throw fail("x", "most_stable needs at least 2 values of \(x), got \(xs.count)") }
      if !xs.contains(expected) {
        throw fail("expected", "\(expected) is not a value of \(x) (\(xs.map(\.description).joined(separator: ", ")))")
      }
    default: break
    }
  }
}

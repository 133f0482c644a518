import Experiments
import Foundation

/// One grid point as every report shows it: the claim metric over seeds, divergences, other metrics' means.
struct PointRow {
  var point: GridPoint
  /// The claim metric across the point's seeds (diverged and failed runs listed, never averaged).
  var summary: PointSummary
  var runs: [RunRecord]
  /// Steps at which this point's diverged runs stopped, in seed order.
  var divergedSteps: [Int]
  /// Runs that finished without ever training (`RunStatus.stalled`). `summary.nDiverged` counts them too, since
  /// the statistics treat both alike; the text names them apart because the causes differ.
  var nStalled: Int
  /// Means over the finished runs of the other final metrics (e.g. `train_accuracy`).
  var otherMeans: [String: Double]
  /// The series (values of the sweep axes other than x) this point belongs to; "" when there is one series.
  var series: String

  /// The point has no number to show: no seed finished, or more than half diverged. Shown as "diverged at
  /// step S", left out of figure lines and never averaged.
  var isDiverged: Bool {
    summary.nDiverged > 0 && (summary.n == 0 || summary.collapsed)
  }

  /// Runs whose loss diverged, without the stalled ones.
  var nDivergedOnly: Int { summary.nDiverged - nStalled }

  /// "diverged at step 120" / "diverged at steps 80, 120 (2 of 3 seeds)" / "stalled (never trained)" /
  /// "diverged at step 80 (1 of 3 seeds); stalled (never trained; 2 of 3 seeds)".
  var divergedText: String {
    let steps = divergedSteps.map(String.init)
    let total = summary.n + summary.nDiverged + summary.nFailed
    var parts: [String] = []
    if nDivergedOnly > 0 {
      var s =
        steps.isEmpty ? "diverged" : "diverged at step\(steps.count > 1 ? "s" : "") " + steps.joined(separator: ", ")
      if nDivergedOnly < total { s += " (\(nDivergedOnly) of \(total) seeds)" }
      parts.append(s)
    }
    if nStalled > 0 {
      parts.append("stalled (never trained" + (nStalled < total ? "; \(nStalled) of \(total) seeds)" : ")"))
    }
    return parts.joined(separator: "; ")
  }

  /// Half-width of the 95% CI, when there are at least two finished seeds.
  var halfWidth: Double? {
    guard let lo = summary.ciLow, let hi = summary.ciHigh else { return nil }
    return (hi - lo) / 2
  }
}

/// How an experiment's grid is laid out for tables and figures: the claim metric, the x axis (the check's x, else
/// the first numeric sweep key, else the first key), and one series per combination of the other sweep axes.
struct ExperimentLayout {
  let results: ExperimentResults
  /// The claim's (first) metric.
  let metric: String
  /// The sweep key on the x axis; nil for an empty sweep.
  let xKey: String?
  /// True when the x values are not all numbers (arms such as none / dropout / dropblock), or when they do not tell
  /// apart the positions of their own zip (block size 1 with and without DropBlock): those are arms too.
  let categorical: Bool
  /// The x values are numbers that repeat along their zip, so the axis shows the zip's positions, not the key.
  let categoricalPositions: Bool
  /// The human name of the x axis (`names`' `title`), if the spec gives one.
  let xTitle: String?
  let transform: ReportOptions.XTransform
  /// Every grid point, in grid order.
  let rows: [PointRow]
  /// Series in order of first appearance, each with its rows ordered along x.
  let series: [(label: String, rows: [PointRow])]
  /// Other final metrics worth a column, in a fixed order.
  let otherMetrics: [String]
  /// Category labels in grid order (categorical x only).
  let categories: [String]
  /// Per sweep key, the method names that two different values carry, with the fields that tell them apart.
  let sharedNames: [String: [String: [String]]]
  /// The keys a category's label is made of: the x key, and the keys zipped with it that tell apart points with
  /// the same x value (two `none` arms at two weight decays).
  let categoryKeys: [String]

  init(_ results: ExperimentResults) {
    self.results = results
    let spec = results.spec
    metric =
      spec.claim.check.metrics.first ?? results.verdict.metric.components(separatedBy: ", ").first ?? "test_accuracy"
    let sweepKeys = spec.sweep.keys
    let axes = spec.sweep.axes
    var chosen = Self.checkX(spec.claim.check).flatMap { sweepKeys.contains($0) ? $0 : nil }
    // Arms of different methods (a comparison) are the x axis, unless a numeric key of three values or more is
    // swept on another axis: a curve (accuracy over training-set sizes, over pruned fractions) keeps it on x.
    if chosen == nil, Self.methodNames(spec.sweep.values(of: "regularizer") ?? []).count > 1 {
      let regularizerAxis = axes.first { $0.keys.contains("regularizer") }?.keys ?? []
      let curve = sweepKeys.contains { key in
        guard !regularizerAxis.contains(key), let values = spec.sweep.values(of: key) else { return false }
        return values.count >= 3 && values.allSatisfy { $0.asDouble != nil }
      }
      if !curve { chosen = "regularizer" }
    }
    if chosen == nil {
      chosen =
        sweepKeys.first { key in spec.sweep.values(of: key)?.allSatisfy { $0.asDouble != nil } ?? false }
        ?? sweepKeys.first
    }
    xKey = chosen
    let xAxis = axes.first { $0.keys.contains(chosen ?? "") }
    let xAxisKeys = xAxis?.keys ?? []
    let seriesAxes = axes.filter { $0 != xAxis }
    transform = spec.report?.xTransform ?? .identity
    xTitle = chosen.flatMap { spec.names?.title(of: $0, sweep: spec.sweep) }

    // Labels are rebuilt from the coordinates so they read the same before and after a JSON round trip; two arms
    // of one method (Channel DropBlock's two metrics) are written with their fields so they stay apart.
    let gridPoints = spec.sweep.points()
    let allCoordinates = gridPoints.map(\.coordinates) + results.runs.map(\.point)
    var shared: [String: [String: [String]]] = [:]
    for key in Set(allCoordinates.flatMap(\.keys)) {
      let fields = distinguishingFields(allCoordinates.compactMap { $0[key] })
      if !fields.isEmpty { shared[key] = fields }
    }
    sharedNames = shared
    var points = gridPoints.map { p in
      guard !sweepKeys.isEmpty else { return p }
      let parts = Self.parts(p.coordinates, axes: axes, spec: spec, shared: shared)
      return GridPoint(
        coordinates: p.coordinates, label: parts.map(\.text).joined(separator: ", "), index: p.index,
        parts: spec.names == nil ? [] : parts)
    }
    for run in results.runs where !points.contains(where: { $0.coordinates == run.point }) {
      let keys = run.point.keys.sorted()
      points.append(
        GridPoint(coordinates: run.point, label: coordinateText(keys, run.point, shared: shared), index: points.count))
    }
    let metric = self.metric
    let finished = results.runs.filter { $0.status == .ok }
    let others = Self.otherMetrics(in: finished, claim: metric)
    otherMetrics = others
    rows = points.map { point in
      let runs = results.runs.filter { $0.point == point.coordinates }.sorted { $0.seed < $1.seed }
      var means: [String: Double] = [:]
      for name in others {
        let values = runs.filter { $0.status == .ok }.compactMap { metricValue(name, in: $0.final) }.filter(\.isFinite)
        if !values.isEmpty { means[name] = Statistics.mean(values) }
      }
      return PointRow(
        point: point, summary: PointSummary(point: point, metric: metric, runs: runs), runs: runs,
        divergedSteps: runs.filter { $0.status == .diverged }.compactMap(\.divergedAtStep),
        nStalled: runs.filter { $0.status == .stalled }.count, otherMeans: means,
        series: Self.parts(point.coordinates, axes: seriesAxes, spec: spec, shared: shared).map(\.text)
          .joined(separator: ", "))
    }
    let xValues = rows.map { row in chosen.flatMap { row.point.coordinates[$0] } }
    // Numbers that repeat along their own zip (block size 1 with rate 0 and with rate 0.1) cannot place the zip's
    // positions on a numeric axis: each position is an arm of its own.
    var repeats = false
    if let chosen, let xAxis, xAxis.keys.count > 1, let along = spec.sweep.values(of: chosen) {
      repeats = Set(along).count < along.count
    }
    categoricalPositions = repeats && xValues.allSatisfy { $0?.asDouble != nil }
    categorical = chosen != nil && (!xValues.allSatisfy { $0?.asDouble != nil } || repeats)
    var keys = chosen.map { [$0] } ?? []
    if let chosen {
      let points = rows.map(\.point)
      for partner in xAxisKeys where partner != chosen {
        let distinguishes = points.contains { a in
          points.contains { b in
            a.coordinates[chosen] == b.coordinates[chosen] && a.coordinates[partner] != b.coordinates[partner]
          }
        }
        if distinguishes { keys.append(partner) }
      }
    }
    categoryKeys = keys
    var categories: [String] = []
    if categorical {
      for row in rows {
        let v = Self.categoryLabel(row.point.coordinates, keys: keys, shared: shared, spec: spec)
        if !categories.contains(v) { categories.append(v) }
      }
    }
    self.categories = categories

    var order: [String] = []
    var members: [String: [PointRow]] = [:]
    for row in rows {
      if members[row.series] == nil { order.append(row.series) }
      members[row.series, default: []].append(row)
    }
    let transform = self.transform
    let plotted = { (row: PointRow) -> Double in
      Self.position(
        row, xKey: chosen, categorical: categories.isEmpty ? nil : categories, transform: transform, keys: keys,
        shared: shared, spec: spec)
    }
    series = order.map { label in
      (label, members[label]!.sorted { (plotted($0), $0.point.index) < (plotted($1), $1.point.index) })
    }
  }

  /// The x value shown for a row (after `x_transform`), or its category's position; nan without an x.
  func plotX(_ row: PointRow) -> Double {
    Self.position(
      row, xKey: xKey, categorical: categorical ? categories : nil, transform: transform, keys: categoryKeys,
      shared: sharedNames, spec: results.spec)
  }

  /// A point's label axis by axis (`LabelPart`s): each axis by its name where the spec names it, else its values
  /// as written (two arms of one method with the fields that tell them apart); named axes first, in the order
  /// `names` lists them.
  static func parts(
    _ coordinates: [String: ConfigValue], axes: [Sweep.Axis], spec: ExperimentSpec, shared: [String: [String: [String]]]
  ) -> [LabelPart] {
    func written(_ axis: Sweep.Axis) -> String { coordinateText(axis.keys, coordinates, shared: shared) }
    guard let names = spec.names else { return axes.map { LabelPart(keys: $0.keys, text: written($0), named: false) } }
    return names.parts(of: coordinates, sweep: Sweep(axes: axes), text: written)
  }

  /// A categorical point's label: the name of its position on the x axis when the spec names it; else its x value
  /// (two arms of one method with their differing fields), then the zipped keys that tell apart points of equal x,
  /// by the last part of their name (`weight_decay=0.001`).
  static func categoryLabel(
    _ coordinates: [String: ConfigValue], keys: [String], shared: [String: [String: [String]]], spec: ExperimentSpec
  ) -> String {
    guard let first = keys.first else { return "?" }
    if let name = spec.names?.name(of: coordinates, key: first, sweep: spec.sweep) { return name }
    let head = valueText(coordinates[first], shared: shared[first] ?? [:])
    guard keys.count > 1 else { return head }
    let partners = keys.dropFirst().map { "\($0.split(separator: ".").last.map(String.init) ?? $0)=\(valueText(coordinates[$0]))" }
    return ([head] + partners).joined(separator: ", ")
  }

  /// The raw sweep value at x, as text (an arm's category label; a number even when its zip's positions are the
  /// categories, so the table still says which block size or rate each arm has).
  func rawX(_ row: PointRow) -> String {
    guard let xKey else { return row.point.label }
    if categorical && !categoricalPositions { return category(row) }
    return valueText(row.point.coordinates[xKey], shared: sharedNames[xKey] ?? [:])
  }

  /// The label of a row's category on a categorical x axis.
  func category(_ row: PointRow) -> String {
    Self.categoryLabel(row.point.coordinates, keys: categoryKeys, shared: sharedNames, spec: results.spec)
  }

  /// `x` after the report's transform (1 − x for `one_minus`).
  func transformed(_ x: Double) -> Double {
    transform == .oneMinus ? 1 - x : x
  }

  private static func position(
    _ row: PointRow, xKey: String?, categorical: [String]?, transform: ReportOptions.XTransform, keys: [String],
    shared: [String: [String: [String]]], spec: ExperimentSpec
  ) -> Double {
    guard let xKey else { return Double(row.point.index) }
    let value = row.point.coordinates[xKey]
    if let categorical {
      let label = categoryLabel(row.point.coordinates, keys: keys, shared: shared, spec: spec)
      return Double(categorical.firstIndex(of: label) ?? 0)
    }
    guard let x = value?.asDouble else { return .nan }
    return transform == .oneMinus ? 1 - x : x
  }

  /// The distinct method names among `regularizer` values, in order of first appearance.
  static func methodNames(_ values: [ConfigValue]) -> [String] {
    var names: [String] = []
    for value in values {
      let name = value.asMap?["name"]?.asString ?? value.asString
      if let name, !names.contains(name) { names.append(name) }
    }
    return names
  }

  /// Whether the figure compares methods: the x axis is the `regularizer` arms.
  var isMethodComparison: Bool { categorical && xKey == "regularizer" }

  /// The method name of a row's arm (`regularizer`'s name), or nil.
  func methodName(_ row: PointRow) -> String? {
    let value = row.point.coordinates["regularizer"]
    return value?.asMap?["name"]?.asString ?? value?.asString
  }

  /// The first x a check (or its first sub-check with one) ranges over.
  private static func checkX(_ check: ClaimCheck) -> String? {
    if let x = check.x { return x }
    if case .all(let checks) = check.rule { return checks.lazy.compactMap(checkX).first }
    return nil
  }

  /// Final metrics other than the claim's, train accuracy first; the claim metric's complement (test error for
  /// test accuracy) is left out.
  private static func otherMetrics(in runs: [RunRecord], claim: String) -> [String] {
    var names = Set(runs.flatMap(\.final.keys))
    names.remove(claim)
    if claim == "test_accuracy" { names.remove("test_error") }
    if claim == "test_error" { names.remove("test_accuracy") }
    let preferred = ["train_accuracy", "test_accuracy", "dice", "iou"]
    let first = preferred.filter(names.contains)
    let rest = names.subtracting(first).sorted()
    return Array((first + rest).prefix(3))
  }
}

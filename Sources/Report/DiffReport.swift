import Experiments
import Foundation

/// The change of one grid point's claim metric between two result sets (matched by point label).
public struct PointDiff: Codable, Sendable, Equatable {
  /// How the significance of the change was tested.
  public enum Test: String, Codable, Sendable {
    /// Paired t-interval of per-seed differences (both sides finished the same seeds).
    case paired
    /// Welch's unequal-variance t-interval of the difference of means.
    case welch
    /// Not tested (fewer than two finished seeds on a side, or a side has no number).
    case none
  }

  /// The direction of a significant change for the metric (accuracy, Dice, IoU up is better; error, loss down).
  public enum Change: String, Codable, Sendable {
    case better, worse, none
  }

  public var label: String
  public var nA: Int
  public var nB: Int
  /// Runs that diverged or stalled (never trained) on each side; the statistics treat both alike.
  public var divergedA: Int
  public var divergedB: Int
  /// Of those, the stalled runs.
  public var stalledA: Int
  public var stalledB: Int
  public var meanA: Double?
  public var meanB: Double?
  /// meanB − meanA.
  public var delta: Double?
  /// 95% CI of the difference (B − A).
  public var ciLow: Double?
  public var ciHigh: Double?
  /// Two-sided p-value of the test.
  public var pValue: Double?
  public var test: Test
  /// The 95% CI of the difference excludes 0 (or the point newly diverges / recovers).
  public var significant: Bool
  public var change: Change
  public var note: String?
  /// The means moved by at least `DiffReport.largeChange` of the base's magnitude with too few seeds for a test
  /// (fewer than two finished a side): flagged, and counted as a change in its direction.
  public var large: Bool? = nil

  /// Significant, or large enough to flag without a test.
  public var flagged: Bool { significant || large == true }
}

/// The changes of one experiment present in both result sets.
public struct ExperimentDiff: Codable, Sendable, Equatable {
  public var id: String
  /// The claim metric compared (B's).
  public var metric: String
  public var verdictA: Verdict
  public var verdictB: Verdict
  /// Any change of the stored verdict, `proxy invalid` included: a claim leaving (or entering) its regime changes
  /// what the result says about the paper as much as a flip between holds and fails.
  public var verdictChanged: Bool
  public var points: [PointDiff]
  /// Point labels only in B / only in A.
  public var addedPoints: [String]
  public var removedPoints: [String]
  /// Differences in scale or metric worth knowing when reading the numbers.
  public var notes: [String]
  /// Why the two sides cannot be compared (a different scale or different `--set` overrides), or nil. Such an
  /// experiment's points are not tested: it is neither "changed" nor "no significant change".
  public var notComparable: String? = nil

  /// True when the verdict changed or any point changed significantly (or by a large amount).
  public var changed: Bool { notComparable == nil && (verdictChanged || points.contains { $0.flagged }) }
}

/// A comparison of two result sets, e.g. two git revisions: per experiment and grid point, the claim metric's
/// means, their difference and its significance, and verdict changes; experiments added or removed.
public struct DiffReport: Codable, Sendable, Equatable {
  public var labelA: String
  public var labelB: String
  /// Experiment ids only in B / only in A.
  public var added: [String]
  public var removed: [String]
  public var experiments: [ExperimentDiff]
  /// Any verdict changed, or any point changed significantly for the worse (a newly diverging point included).
  public var hasRegression: Bool

  /// Experiments whose two sides are not comparable (`ExperimentDiff.notComparable`).
  public var notComparable: [ExperimentDiff] { experiments.filter { $0.notComparable != nil } }

  /// A change of a point's mean by this fraction of the base mean's magnitude is flagged even when no test can
  /// call it (one seed a side): a smoke run replacing a default-scale result must never read "no change".
  public static let largeChange = 0.05

  /// Compares result sets `a` (the base) and `b`.
  public static func compare(
    _ a: [ExperimentResults], _ b: [ExperimentResults], labelA: String = "A", labelB: String = "B"
  ) -> DiffReport {
    let byIDA = Dictionary(a.map { ($0.experimentID, $0) }, uniquingKeysWith: { x, _ in x })
    let byIDB = Dictionary(b.map { ($0.experimentID, $0) }, uniquingKeysWith: { x, _ in x })
    let added = byIDB.keys.filter { byIDA[$0] == nil }.sorted()
    let removed = byIDA.keys.filter { byIDB[$0] == nil }.sorted()
    let common = byIDA.keys.filter { byIDB[$0] != nil }.sorted()
    let experiments = common.map { compareExperiment(byIDA[$0]!, byIDB[$0]!) }
    let regression = experiments.contains { e in
      e.notComparable == nil && (e.verdictChanged || e.points.contains { $0.flagged && $0.change == .worse })
    }
    return DiffReport(
      labelA: labelA, labelB: labelB, added: added, removed: removed, experiments: experiments,
      hasRegression: regression)
  }

  /// Loads both sides with `load` (nil = the working tree, as `GitResults.load` reads it) and compares them.
  public static func compare(
    revisionA: String?, revisionB: String?, load: (String?) throws -> [ExperimentResults]
  ) throws -> DiffReport {
    compare(
      try load(revisionA), try load(revisionB), labelA: revisionA ?? "working tree",
      labelB: revisionB ?? "working tree")
  }

  /// True when nothing changed significantly and no verdict changed (experiments may still be added or removed), and
  /// every experiment in both was comparable.
  public var noSignificantChange: Bool { !experiments.contains { $0.changed } && notComparable.isEmpty }

  /// The report restricted to some experiments (ids; empty keeps all), and with `onlyChanged` to the experiments
  /// and points that changed or are not comparable.
  public func filtered(ids: [String], onlyChanged: Bool) -> DiffReport {
    var copy = self
    if !ids.isEmpty {
      copy.experiments = experiments.filter { ids.contains($0.id) }
      copy.added = added.filter { ids.contains($0) }
      copy.removed = removed.filter { ids.contains($0) }
    }
    if onlyChanged {
      copy.experiments = copy.experiments.filter { $0.changed || $0.notComparable != nil }.map { e in
        var e = e
        e.points = e.points.filter(\.flagged)
        return e
      }
    }
    copy.hasRegression = copy.experiments.contains { e in
      e.notComparable == nil && (e.verdictChanged || e.points.contains { $0.flagged && $0.change == .worse })
    }
    return copy
  }

  static func compareExperiment(_ a: ExperimentResults, _ b: ExperimentResults) -> ExperimentDiff {
    let layoutA = ExperimentLayout(a)
    let layoutB = ExperimentLayout(b)
    let metric = layoutB.metric
    var notes: [String] = []
    var notComparable: String?
    if a.scale != b.scale {
      notComparable = "scale differs: \(a.scale) (A) vs \(b.scale) (B)"
    } else if (a.overrides ?? []) != (b.overrides ?? []) {
      func describe(_ o: [String]?) -> String { (o ?? []).isEmpty ? "none" : (o ?? []).joined(separator: " ") }
      notComparable = "overrides differ: \(describe(a.overrides)) (A) vs \(describe(b.overrides)) (B)"
    }
    if layoutA.metric != metric {
      notes.append("claim metric differs: \(layoutA.metric) vs \(metric); compared on \(metric)")
    }
    // Points are matched by their coordinates, not their labels: naming or renaming an arm changes no point.
    let rowsA = Dictionary(layoutA.rows.map { ($0.point.coordinates, $0) }, uniquingKeysWith: { x, _ in x })
    let coordinatesB = Set(layoutB.rows.map(\.point.coordinates))
    var points: [PointDiff] = []
    for rowB in layoutB.rows where notComparable == nil {
      guard let rowA = rowsA[rowB.point.coordinates] else { continue }
      let sa = PointSummary(point: rowA.point, metric: metric, runs: rowA.runs)
      let sb = PointSummary(point: rowB.point, metric: metric, runs: rowB.runs)
      points.append(
        comparePoint(
          rowB.point.label, sa, sb, goal: naturalGoal(of: metric), stalledA: rowA.nStalled, stalledB: rowB.nStalled))
    }
    points += compareRobustnessRuns(a, b, rows: layoutB.rows, metric: metric, skip: notComparable != nil)
    return ExperimentDiff(
      id: b.experimentID, metric: metric, verdictA: a.verdict.verdict, verdictB: b.verdict.verdict,
      verdictChanged: a.verdict.verdict != b.verdict.verdict, points: points,
      addedPoints: layoutB.rows.filter { rowsA[$0.point.coordinates] == nil }.map(\.point.label),
      removedPoints: layoutA.rows.filter { !coordinatesB.contains($0.point.coordinates) }.map(\.point.label),
      notes: notes, notComparable: notComparable)
  }

  /// A robustness axis's runs (`robustnessRuns`), compared like points: each variant — an arm under the axis's
  /// setting — is matched by its coordinates and labelled as its page labels it ("arm · model.init=pytorch").
  /// Variants on one side only are left out (adding an axis changes no claim point).
  static func compareRobustnessRuns(
    _ a: ExperimentResults, _ b: ExperimentResults, rows: [PointRow], metric: String, skip: Bool
  ) -> [PointDiff] {
    guard !skip else { return [] }
    let variantsA = Dictionary(grouping: a.robustnessRuns ?? [], by: \.point)
    let variantsB = Dictionary(grouping: b.robustnessRuns ?? [], by: \.point)
    var out: [PointDiff] = []
    for row in rows {
      for (coordinates, runsB) in variantsB
      where RobustnessAxis.claimCoordinates(ofVariant: coordinates) == row.point.coordinates {
        guard let runsA = variantsA[coordinates], case .map(let settings)? = coordinates[RobustnessAxis.coordinate]
        else { continue }
        var point = row.point
        point.coordinates = coordinates
        point.label += " · " + settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: ", ")
        func stalled(_ runs: [RunRecord]) -> Int { runs.filter { $0.status == .stalled }.count }
        out.append(
          comparePoint(
            point.label, PointSummary(point: point, metric: metric, runs: runsA),
            PointSummary(point: point, metric: metric, runs: runsB), goal: naturalGoal(of: metric),
            stalledA: stalled(runsA), stalledB: stalled(runsB)))
      }
    }
    return out
  }

  /// Tests meanB − meanA: paired by seed when both sides finished the same seeds (at least two), else Welch.
  /// `stalledA`/`stalledB` say how many of each side's diverged runs (as `PointSummary` counts them) are stalled.
  static func comparePoint(
    _ label: String, _ a: PointSummary, _ b: PointSummary, goal: ClaimCheck.Goal, stalledA: Int = 0, stalledB: Int = 0
  ) -> PointDiff {
    var d = PointDiff(
      label: label, nA: a.n, nB: b.n, divergedA: a.nDiverged, divergedB: b.nDiverged, stalledA: stalledA,
      stalledB: stalledB, meanA: nil, meanB: nil, delta: nil, ciLow: nil, ciHigh: nil, pValue: nil, test: .none,
      significant: false, change: .none, note: nil)
    let divergedA = a.nDiverged > 0 && (a.n == 0 || a.collapsed)
    let divergedB = b.nDiverged > 0 && (b.n == 0 || b.collapsed)
    d.meanA = divergedA ? nil : a.mean
    d.meanB = divergedB ? nil : b.mean
    if divergedA != divergedB {
      d.significant = true
      d.change = divergedB ? .worse : .better
      // A point whose lost runs all stalled never trained; one with any diverged run blew up.
      let stalledOnly = divergedB ? stalledB == b.nDiverged : stalledA == a.nDiverged
      d.note =
        stalledOnly
        ? (divergedB ? "now stalls (never trains)" : "no longer stalls")
        : (divergedB ? "now diverges" : "no longer diverges")
      return d
    }
    guard let meanA = d.meanA, let meanB = d.meanB else {
      d.note = divergedA ? "diverges on both sides" : "no finished runs on a side"
      return d
    }
    d.delta = meanB - meanA
    let seedsA = a.values.keys.sorted()
    let seedsB = b.values.keys.sorted()
    var interval: (low: Double, high: Double, p: Double)?
    if seedsA == seedsB, seedsA.count >= 2 {
      d.test = .paired
      interval = pairedInterval(seedsA.map { b.values[$0]! - a.values[$0]! })
    } else if seedsA.count >= 2, seedsB.count >= 2 {
      d.test = .welch
      interval = welchInterval(seedsA.map { a.values[$0]! }, seedsB.map { b.values[$0]! })
    } else {
      d.note = "fewer than 2 finished seeds on a side; not tested"
    }
    // A large move with too few seeds for a test is flagged in its direction (a smoke run's −40 pt on one seed, say).
    // Where a test runs, its interval decides: a wide one on noisy metrics must not raise false alarms.
    if let delta = d.delta, interval == nil, abs(delta) >= largeChange * max(abs(meanA), 1e-12) {
      d.large = true
      d.change = (delta > 0) == (goal == .max) ? .better : .worse
    }
    if let interval {
      d.ciLow = interval.low
      d.ciHigh = interval.high
      d.pValue = interval.p
      d.significant = interval.low > 0 || interval.high < 0
      if d.significant {
        let up = d.delta! > 0
        d.change = (up == (goal == .max)) ? .better : .worse
      }
    }
    return d
  }

  /// 95% t-interval and two-sided p of the mean of per-seed differences.
  static func pairedInterval(_ diffs: [Double]) -> (low: Double, high: Double, p: Double) {
    let mean = Statistics.mean(diffs)
    let sd = Statistics.sampleSD(diffs) ?? 0
    let n = Double(diffs.count)
    return interval(mean: mean, se: sd / n.squareRoot(), df: n - 1)
  }

  /// Welch's 95% t-interval and two-sided p of meanB − meanA (Welch–Satterthwaite degrees of freedom).
  static func welchInterval(_ a: [Double], _ b: [Double]) -> (low: Double, high: Double, p: Double) {
    let (na, nb) = (Double(a.count), Double(b.count))
    let va = pow(Statistics.sampleSD(a) ?? 0, 2) / na
    let vb = pow(Statistics.sampleSD(b) ?? 0, 2) / nb
    let se = (va + vb).squareRoot()
    let denominator = va * va / (na - 1) + vb * vb / (nb - 1)
    let df = denominator > 0 ? (va + vb) * (va + vb) / denominator : na + nb - 2
    return interval(mean: Statistics.mean(b) - Statistics.mean(a), se: se, df: df)
  }

  private static func interval(mean: Double, se: Double, df: Double) -> (low: Double, high: Double, p: Double) {
    guard se > 0 else { return (mean, mean, mean == 0 ? 1 : 0) }
    let half = Statistics.studentTQuantile(0.975, df: df) * se
    let t = abs(mean / se)
    let p = min(1, 2 * (1 - Statistics.studentTCDF(t, df: df)))
    return (mean - half, mean + half, p)
  }
}

import Foundation
import NumberFormat

/// Regime rule v4 (v2, with condition (c) on the pilots' held-out score since v3 and (e) on the evaluation-mode
/// training loss since v4): is the proxy in the regime the claim is about — a reference that over-fits and fits its training set, trained long enough that more budget would not
/// change what the claim measures, every arm trainable? See `Regime` for the
/// conditions (a)–(e) and their defaults, and docs/convergence-rule.md for the argument and the simulation.
///
/// Why not the v1 late-gain rule (`evaluatePlateauRule`): under a cosine schedule annealed to zero the train metric
/// rises over the last 30% of the epochs because the learning rate — and with it the noise in the weights — goes to
/// zero (it is 20.6% of its peak at 0.7E and 2.4% at 0.9E), at any budget. The same MLP gains 0.92 pt late at 30
/// epochs and 0.99 at 100 while its final train accuracy rises from 92.6 to 97.1%. What shows under-training is
/// the end state — how far from interpolation (b), and whether a longer complete schedule ends elsewhere (c) — not
/// the shape of one schedule's tail. Under a constant learning rate the tail does mean something, so there (e)
/// reads it, smoothed over evaluations and on the training loss rather than on a saturating accuracy.
extension Regime {
  /// Measures the regime on `runs` by rule v4. `calibration` is the pilot data of condition (c); without it (c) is
  /// not measured and a point on an annealed schedule is not shown to be in regime. Diverged and stalled runs fail
  /// (d); failed runs (an error, not a property of the settings) are left out, as the check leaves them out.
  public func evaluate(points: [GridPoint], runs: [RunRecord], calibration: CalibrationRecord? = nil) -> RegimeReport {
    let finished = runs.filter { $0.status == .ok }
    let pair = FitMetricPair.recorded(in: finished.map(\.final))
    let train = trainMetric ?? pair.train
    let test = testMetric ?? pair.test
    let better: Double = naturalGoal(of: train) == .min ? -1 : 1
    let percent = isPercentMetric(train)
    let fitBound: Double? =
      percent
      ? (fit ?? Self.defaultFit)
      : better < 0 ? (fitMSE ?? noiseFloor.map { $0 * (1 + (fit ?? Self.defaultFit) / 100) }) : nil
    let margin: Double? = budgetMargin ?? (percent ? Self.defaultBudgetMargin : nil)
    let lossBound = plateauLoss ?? Self.defaultPlateauLoss
    var all: [[String: ConfigValue]: [RunRecord]] = [:]
    for run in runs where run.status != .failed { all[run.point, default: []].append(run) }
    var rows: [RegimeReport.Row] = []
    for point in points {
      let pointAll = all[point.coordinates] ?? []
      let pointRuns = pointAll.filter { $0.status == .ok }
      let isReference = reference.isEmpty || point.matches(reference)
      var row = measure(point, runs: pointRuns, isReference: isReference, train: train, test: test, better: better)
      row.schedule = Self.schedule(of: pointAll)
      row.untrained = pointAll.filter { $0.status == .diverged || $0.status == .stalled }.count
      if needsConvergence {
        var applicable: [Bool] = []
        if isReference {
          fitCondition(&row, runs: pointRuns, train: train, better: better, percent: percent, bound: fitBound)
          if let fits = row.fits { applicable.append(fits) }
        }
        if row.schedule != "constant" {
          if isReference || (!mostRegularized.isEmpty && point.matches(mostRegularized)) {
            let epochs = pointAll.compactMap { $0.epochs.last?.epoch ?? $0.config[path: "train.epochs"]?.asInt }.max()
            let b = budgetCheck(
              point: point, calibration: calibration, metric: train, better: better, margin: margin, epochs: epochs,
              configs: pointAll.map(\.config))
            (row.budgetChange, row.budgetLow, row.budgetHigh) = (b.change, b.low, b.high)
            row.budgetRobust = b.robust
            row.budgetNote = b.note
            row.budgetMetric = b.metric
            applicable.append(b.robust)
          }
        } else {
          let falls = pointRuns.compactMap { lossFall($0) }
          row.lossFall = falls.isEmpty ? nil : Statistics.mean(falls)
          (row.lossFallLow, row.lossFallHigh) = Self.interval(falls)
          row.lossSettled = row.lossFallHigh.map { $0 <= lossBound } ?? false
          applicable.append(row.lossSettled!)
        }
        row.converged = applicable.isEmpty ? nil : applicable.allSatisfy { $0 }
      }
      rows.append(row)
    }
    let annealed = needsConvergence && rows.contains { $0.schedule != "constant" }
    let constant = needsConvergence && rows.contains { $0.schedule == "constant" }
    let words = ConvergenceWording(
      regime: self, train: train, test: test, better: better, fitBound: fitBound, margin: margin,
      lossBound: lossBound, calibration: calibration, points: points)
    let problems = words.problems(rows, annealed: annealed)
    let met = problems.isEmpty
    let summary =
      (met
        ? words.metSummary(annealed: annealed, constant: constant)
        : "Regime not met: " + problems.joined(separator: "; ") + ".")
      + words.exemptions(rows)
    return RegimeReport(
      trainMetric: train, testMetric: test, overfitGap: overfitGap, plateau: plateau, over: over, rows: rows, met: met,
      summary: summary, rule: RegimeReport.convergenceRule, fitBound: needsConvergence ? fitBound : nil,
      budgetMargin: annealed ? margin : nil, plateauLoss: constant ? lossBound : nil,
      calibrated: annealed ? calibration != nil : nil)
  }

  /// What v2 measures as v1 did (v1 keeps its own code, unchanged): train and test means, the gap and its interval,
  /// the late gain (a description in v2), and (a) for a reference point.
  func measure(
    _ point: GridPoint, runs: [RunRecord], isReference: Bool, train: String, test: String, better: Double
  ) -> RegimeReport.Row {
    func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : Statistics.mean(values) }
    let gains = runs.compactMap { lateGain($0, metric: train).map { better * $0 } }
    let gaps = runs.compactMap { r in
      r.final[train].flatMap { a in metricValue(test, in: r.final).map { better * (a - $0) } }
    }
    var row = RegimeReport.Row(
      label: point.label, isReference: isReference, finished: runs.count,
      train: mean(runs.compactMap { $0.final[train] }), test: mean(runs.compactMap { metricValue(test, in: $0.final) }),
      lateGain: mean(gains))
    (row.lateGainLow, row.lateGainHigh) = Self.interval(gains)
    (row.gapLow, row.gapHigh) = Self.interval(gaps)
    if let overfitGap, isReference { row.overfits = row.gapLow.map { $0 >= overfitGap } ?? false }
    return row
  }

  /// The learning-rate schedule the runs recorded (`train.schedule`); `constant`, the config's default, when they
  /// record none. Any annealed run makes the point annealed.
  static func schedule(of runs: [RunRecord]) -> String {
    let names = runs.map { $0.config[path: "train.schedule"]?.asString ?? "constant" }
    return names.first { $0 != "constant" } ?? "constant"
  }

  /// Condition (b) on a reference point: the 95% upper bound of its train error (100 − a percentage in its better
  /// direction, or the MSE itself) at most `bound`. A point whose eval-mode train loss exceeds
  /// `evalModeMismatchRatio` × its training-mode loss is a method whose evaluation differs from its training: it is
  /// read on its training-mode metric when the runs record one, and is otherwise exempt (and the summary says so).
  func fitCondition(
    _ row: inout RegimeReport.Row, runs: [RunRecord], train: String, better: Double, percent: Bool, bound: Double?
  ) {
    func errors(_ metric: String) -> [Double] {
      runs.compactMap { $0.final[metric] }.map { percent ? (better > 0 ? 100 - $0 : $0) : $0 }
    }
    func read(_ values: [Double]) {
      row.fitError = values.isEmpty ? nil : Statistics.mean(values)
      (row.fitLow, row.fitHigh) = Self.interval(values)
      row.fits = bound.flatMap { b in row.fitHigh.map { $0 <= b } } ?? false
    }
    if !percent, better > 0 {
      row.fits = false
      row.fitNote = "fit not measured — \(train) has no known ceiling; name a percentage or an error as train_metric"
      return
    }
    read(errors(train))
    if bound == nil {
      row.fitNote = "fit not measured — state fit_mse or noise_floor for \(train)"
      return
    }
    guard row.fits != true, let (evalLoss, trainLoss) = evalModeMismatch(runs) else { return }
    let mode = trainModeName(of: train)
    let why = "evaluation mode differs from training mode (eval-mode train loss \(Fmt.significant(evalLoss, 3)) vs "
      + "\(Fmt.significant(trainLoss, 3)) in training mode)"
    let modeValues = errors(mode)
    if !runs.isEmpty, modeValues.count == runs.count {
      read(modeValues)
      row.fitNote = "fit read on \(mode): \(why)"
    } else {
      row.fits = nil
      row.fitNote = "exempt from the fit condition: \(why), and no \(mode) is recorded"
    }
  }

  /// Mean eval-mode and training-mode train loss of the runs when the first exceeds `evalModeMismatchRatio` × the
  /// second (the training-mode loss is the last evaluated epoch's mean minibatch loss).
  func evalModeMismatch(_ runs: [RunRecord]) -> (Double, Double)? {
    let evals = runs.compactMap { $0.final["train_loss"] ?? $0.epochs.last?.metrics["train_loss"] }
    let modes = runs.compactMap { $0.epochs.last?.trainLoss }.filter { $0 > 0 && $0.isFinite }
    guard !runs.isEmpty, evals.count == runs.count, modes.count == runs.count else { return nil }
    let e = Statistics.mean(evals)
    let m = Statistics.mean(modes)
    return e > Self.evalModeMismatchRatio * m ? (e, m) : nil
  }

  /// Condition (e)'s per-run quantity: how much the training loss fell over the last `over` of the epochs, as the
  /// least-squares slope through the evaluations in that window (at least the last three) times the window's
  /// length. Positive: still falling. Nil with fewer than three evaluations.
  ///
  /// Rule v4 reads the evaluation-mode training loss (`train_loss` of each evaluation: the full training set
  /// through the network the claim evaluates, a function of the weights alone) wherever every evaluation of the run
  /// recorded it, and the training-mode loss (the epoch's mean minibatch loss) only for records without it. The
  /// training-mode loss carries the regularizer's own draws — Structural Dropout's one cut a batch, HME dropout's
  /// dropped subtrees — and averages over an epoch of moving weights, so its per-seed fall is noisy where the
  /// weights have settled (docs/convergence-rule.md, "From v3 to v4"); both fall alike while the weights improve.
  func lossFall(_ run: RunRecord) -> Double? {
    let evalMode = run.epochs.map { $0.metrics["train_loss"] ?? .nan }
    let series = !run.epochs.isEmpty && evalMode.allSatisfy(\.isFinite) ? evalMode : run.epochs.map(\.trainLoss)
    let points = zip(run.epochs, series).map { (Double($0.epoch), $1) }.filter { $0.1.isFinite }
    guard points.count >= 3, let last = points.last?.0, last > 0 else { return nil }
    var window = points.filter { $0.0 >= last * (1 - over) - 1e-9 }
    if window.count < 3 { window = Array(points.suffix(3)) }
    let mx = Statistics.mean(window.map(\.0))
    let my = Statistics.mean(window.map(\.1))
    let sxx = window.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
    guard sxx > 0 else { return nil }
    let slope = window.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
    return -slope * last * over
  }
}

import Experiments
import Foundation

extension ExperimentPage {
  /// The spec's calibration, next to the regime it feeds: the pilot seeds, every rung tried with the final train
  /// metric (and held-out score, when the pilots have one) of the reference and the most-regularized arm at E/2 and
  /// E, the choice, and a recalibration if there was one. Empty when the spec has no calibration.
  static func calibrationSection(_ results: ExperimentResults) -> String {
    guard let c = results.calibration else { return "" }
    var s = "### Calibration\n\n"
    let seeds = c.pilotSeeds.map(String.init).joined(separator: ", ")
    s += "Calibrated by `dropbench calibrate` from pilots on seeds \(seeds) (disjoint from the verdict's), which train "
    s += "only the regime's reference and most-regularized arm, each for complete schedules of E/2 and E epochs, and "
    s += "never evaluate the test split"
    s += c.rungs.first?.record.heldOutMetric == nil ? "" : " (they are scored on images of the training pool their subset leaves out)"
    s += "; the rungs are tried cheapest first (record: "
    s += "`Experiments/calibration/\(c.experimentID).json`, commit `\(c.gitCommit.prefix(7))`)"
    s += c.recalibration ? ". **This is the spec's one recalibration, with fresh pilot seeds.**\n\n" : ".\n\n"
    if let old = c.extendedFrom {
      s += "Extended (`dropbench calibrate --extend`) after no rung of the record of commit `\(old.prefix(7))` met the "
      s += "conditions: the rungs after those it tried are new, on the same pilot seeds.\n\n"
    }
    if let old = c.rescoredFrom {
      s += "Re-scored by the current regime rule (`dropbench calibrate --rescore`): the pilots of the record of commit "
      s += "`\(old.prefix(7))` — the same seeds and rungs, so the same trainings — judged again (rule v3 scores them on "
      s += "held-out images; rule v4 reads a constant-rate schedule's settling on the evaluation-mode training loss).\n\n"
    }
    let metric = c.rungs.first?.record.metric ?? "train metric"
    // Pilots scored on held-out images (rule v3) show that score beside the train metric; the change column is
    // the one condition (c) read.
    let heldOut = c.rungs.first?.record.heldOutMetric
    s += "| rung | settings | E | images per run | arm | final `\(metric)` at E/2 → E | "
    s += heldOut.map { "final `\($0)` at E/2 → E | " } ?? ""
    s += "change [\(heldOut == nil ? "95" : "90")% CI] | meets |\n"
    s += "|--:|---|--:|--:|---|--:|" + (heldOut == nil ? "" : "--:|") + "--:|:-:|\n"
    for (i, rung) in c.rungs.enumerated() {
      let settings = rung.settings.isEmpty
        ? "as written" : rung.settings.keys.sorted().map { "\($0)=\(rung.settings[$0]!)" }.joined(separator: ", ")
      for (j, arm) in rung.record.arms.enumerated() {
        func mean(_ values: [Int: Double]?) -> String {
          guard let values, !values.isEmpty else { return "–" }
          return Fmt.metric(seedOrderMean(values), metric)
        }
        let full = arm.budgets.max { $0.epochs < $1.epochs }
        let half = arm.budgets.min { $0.epochs < $1.epochs }
        // The arm's name on this page (the record may predate the spec's names); its figures from the record's row.
        let named = results.spec.points().first { $0.matches(arm.point) }?.label
        let row = rung.rows.first { r in r.label == named } ?? (j < rung.rows.count ? rung.rows[j] : nil)
        var change = "–"
        if let d = row?.budgetChange, let lo = row?.budgetLow, let hi = row?.budgetHigh {
          change = "\(Fmt.signed(d, 2)) [\(Fmt.signed(lo, 2)), \(Fmt.signed(hi, 2))]"
        }
        let label = named ?? row?.label ?? arm.point.keys.sorted().map { "\($0)=\(arm.point[$0]!)" }.joined(separator: ", ")
        let first = j == 0
        s += "| \(first ? String(i + 1) : "") | \(first ? Fmt.cell(settings) : "") | \(first ? String(rung.epochs) : "") | "
        s += "\(first ? String(rung.imagesPerRun) : "") | \(Fmt.cell(label)) | \(mean(half?.finals)) → \(mean(full?.finals)) | "
        if heldOut != nil { s += "\(mean(half?.heldOut)) → \(mean(full?.heldOut)) | " }
        s += "\(change) | "
        s += "\(first ? (rung.meets ? "✓" : "✗") : "") |\n"
      }
    }
    s += "\n"
    for (i, rung) in c.rungs.enumerated() {
      guard let probes = rung.probes, let first = probes.first else { continue }
      let seeds = Array(Set(probes.map(\.seed))).sorted()
      s += "Rung \(i + 1)'s trainability probes (each other arm for \(first.epochs) epoch\(first.epochs == 1 ? "" : "s") "
      s += "on seed\(seeds.count == 1 ? "" : "s") \(seeds.map(String.init).joined(separator: ", ")), before the pilots; "
      s += "no test metric): "
      if seeds.count == 1 {
        s += probes.map { "\($0.label) \($0.outcome)" }.joined(separator: "; ")
      } else {
        // One entry per arm: "ok on all n", else the outcome of each seed where it did not train.
        var labels: [String] = []
        for p in probes where !labels.contains(p.label) { labels.append(p.label) }
        s += labels.map { label in
          let mine = probes.filter { $0.label == label }
          let bad = mine.filter { !$0.trained }
          return bad.isEmpty
            ? "\(label) ok on all \(mine.count)" : "\(label) " + bad.map { "\($0.outcome) on seed \($0.seed)" }.joined(separator: ", ")
        }.joined(separator: "; ")
      }
      s += probes.allSatisfy(\.trained) ? ".\n\n" : " — so the rung's pilots were not trained.\n\n"
    }
    if let chosen = c.chosen {
      s += "Rung \(chosen + 1) was chosen; the verdict runs use its settings, and the regime's budget robustness reads "
      s += "its pilot.\n\n"
    } else {
      let why = c.rungs.last?.why.joined(separator: "; ") ?? ""
      s += "**No rung meets the pilot conditions**, so the proxy is not calibrated and its budget robustness is not "
      s += "shown\(why.isEmpty ? "" : " (last rung: \(why))").\n\n"
    }
    return s
  }

  /// The mean of per-seed values summed in seed order. A dictionary's iteration order changes from process to
  /// process, and with it a floating-point sum's last bit — enough to flip a rounded figure between two renderings
  /// of the same record.
  static func seedOrderMean(_ values: [Int: Double]) -> Double {
    Statistics.mean(values.keys.sorted().map { values[$0]! })
  }
}

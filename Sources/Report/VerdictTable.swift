import Experiments
import Foundation
import NumberFormat

/// `Reports/README.md`: one row per experiment (sorted by id) with the claim, method, taxonomy group, the paper's
/// effect (or result), ours, the verdict badge and the scale; plus how to read the statistics. Deterministic.
public enum VerdictTable {
  /// The README's Markdown. `taxonomy` maps a method (regularizer name) to its taxonomy group.
  /// `methods` (the registry's, by name) adds the table of every method by Kukačka et al.'s categories and finer
  /// attributes.
  public static func markdown(
    for results: [ExperimentResults], taxonomy: [String: String], methods: [String: any MethodDescription] = [:]
  ) -> String {
    let sorted = results.sorted { $0.experimentID < $1.experimentID }
    var s = "# DropBench: claims about dropout-style regularizers, re-tested\n\n"
    s += "Each row is one claim from a paper, tested on a small proxy setting; the linked page has the table, "
    s += "figure, comparisons and provenance. Badges follow ReScience: \(Verdict.holds.badge) holds, "
    s += "\(Verdict.fails.badge) fails, \(Verdict.inconclusive.badge) inconclusive; "
    s += "\(Verdict.proxyInvalid.badge) proxy invalid: the proxy is not shown to be in the regime the claim is about "
    s += "(it does not over-fit, has not converged, or a compared arm does not train at these settings), so the "
    s += "check's outcome on it says nothing about the paper; \(Verdict.notTestable.badge) not testable at this "
    s += "budget: the seeds cannot detect an effect of the paper's size, or the proxy lacks a premise of the claim.\n\n"
    let counts = Verdict.allCases.map { v in
      "\(sorted.filter { $0.verdict.verdict == v }.count) \(v.rawValue)"
    }
    s += "\(sorted.count) claim\(sorted.count == 1 ? "" : "s"): \(counts.joined(separator: ", ")).\n\n"
    // One table per category of Kukačka et al. (2017), in their order; a method the map does not know goes last.
    func category(_ r: ExperimentResults) -> String {
      let tag = taxonomy[r.spec.method] ?? "other"
      return String(tag.prefix { $0 != " " && $0 != "(" })
    }
    let present = Set(sorted.map(category))
    for group in categories + present.subtracting(categories).sorted() where present.contains(group) {
      s += "### \(categoryTitle(group))\n\n"
      s += "| claim | method | taxonomy | paper | ours | verdict | scale / seeds |\n"
      s += "|---|---|---|---|---|---|---|\n"
      for r in sorted where category(r) == group { s += row(r, taxonomy: taxonomy) + "\n" }
      s += "\n"
    }
    s = String(s.dropLast())
    if !methods.isEmpty { s += "\n" + methodTable(methods) }
    s += "\n## How to read this\n\n"
    s += "Every number is a mean over seeds with the half-width of its 95% Student-t interval (t with n − 1 "
    s += "degrees of freedom over the n seeds that finished). Arms are compared on paired differences: the same "
    s += "seeds run in every arm, and a difference is significant when the 95% t-interval of the mean per-seed "
    s += "difference excludes 0. A claim of \"no gain\" or \"about equal\" holds when the 95% interval lies below "
    s += "(or within ±) a margin the spec states before any run. Every holds or fails is a test at 2.5% per side; "
    s += "where the best arm is picked from the data the test is a within-seed permutation test of the pick, and "
    s += "the parts of one claim are Holm-corrected, so false verdicts stay under 5% (measured in the test suite). "
    s += "Runs whose loss diverged are counted and shown as \"diverged at step S\", runs that never "
    s += "trained as \"stalled (never trained)\"; neither is averaged. A claim that states a regime (reference "
    s += "points that over-fit and fit their training set, training that has converged, every arm trainable) is "
    s += "checked in it first, each condition on its 95% interval over seeds (a condition whose interval straddles "
    s += "its threshold, or that could not be measured, is not shown). Convergence is read on the end state, not on "
    s += "the last epochs of an annealed schedule: a complete schedule of E/2 epochs must end within a margin of "
    s += "one of E (from a calibration pilot), or under a constant learning rate the training loss must have "
    s += "stopped falling (docs/convergence-rule.md). Unless every "
    s += "condition is shown the verdict is proxy invalid, and each page shows the regime table. A named arm that "
    s += "mostly diverged or stalled makes a comparison proxy invalid too: its settings do not train it. The intervals are over training seeds on one fixed "
    s += "test set and leave out the test set's own sampling error; each page states its size. The \"paper\" "
    s += "column is the paper's effect in its own setting, beside ours on the proxy. "
    s += "Accuracies, errors, Dice and IoU are percentages. Verdicts are recomputed from the stored runs with the "
    s += "current statistics each time the reports are written. Regenerate with `dropbench report`; "
    s += "compare commits with `dropbench diff <revA> [<revB>]`.\n"
    return s
  }

  /// Kukačka, Golkov & Cremers (2017)'s five categories, in their order.
  static let categories = ["data", "architecture", "error-term", "regularization-term", "optimization"]

  static func categoryTitle(_ tag: String) -> String {
    switch tag {
    case "data": "Via data"
    case "architecture": "Via the network architecture"
    case "error-term": "Via the error term"
    case "regularization-term": "Via a regularization term"
    case "optimization": "Via the optimization"
    default: tag.isEmpty ? "Other" : tag
    }
  }

  /// Every registry method (`none` left out) by category, with the finer attributes.
  static func methodTable(_ methods: [String: any MethodDescription]) -> String {
    var s = "## Methods by taxonomy\n\n"
    s += "Kukačka et al. (2017): the category, then what the method transforms, whether it is random, what its choice "
    s += "depends on, and whether the network is computed differently at test time.\n\n"
    s += "![Methods by transformation space and dependence](figures/\(TaxonomyMap.id).svg)\n\n"
    s += "| method | category | acts on | random | depends on | changes | what it does |\n"
    s += "|---|---|---|---|---|---|---|\n"
    let order = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
    let names = methods.keys.filter { $0 != "none" }.sorted {
      let (a, b) = (order[methods[$0]!.taxonomy.rawValue] ?? 99, order[methods[$1]!.taxonomy.rawValue] ?? 99)
      return a != b ? a < b : $0 < $1
    }
    for name in names {
      let m = methods[name]!
      let cells = [
        "`\(name)`", m.taxonomy.rawValue, m.plugPoint.actsOn, m.traits.stochastic ? "yes" : "no",
        m.traits.dependsOn.rawValue, m.traits.phase.rawValue, Fmt.cell(m.summary),
      ]
      s += "| " + cells.joined(separator: " | ") + " |\n"
    }
    return s
  }

  /// One table row.
  static func row(_ r: ExperimentResults, taxonomy: [String: String]) -> String {
    let spec = r.spec
    var paper = spec.paper.effect ?? spec.paper.result ?? "–"
    if let place = spec.paper.where { paper += " (\(place))" }
    let cells = [
      "[\(Fmt.cell(spec.title))](\(r.experimentID).md)",
      "`\(spec.method)`",
      taxonomy[spec.method] ?? "–",
      Fmt.cell(paper),
      Fmt.cell(ours(r)),
      "\(r.verdict.verdict.badge) \(r.verdict.verdict.rawValue)",
      "\(r.scale), \(spec.seeds.count) seed\(spec.seeds.count == 1 ? "" : "s")",
    ]
    return "| " + cells.joined(separator: " | ") + " |"
  }

  /// Our result in a short phrase: the best point of each series with its mean ± CI when the claim ranges over x
  /// (named as the page names it: "best no DropBlock", "best rate = 0.5"), else the verdict's paired comparisons
  /// with their metric, else the first clause of the verdict's explanation.
  static func ours(_ r: ExperimentResults) -> String {
    let layout = ExperimentLayout(r)
    let check = r.spec.claim.check
    let rangesOverX: Bool
    switch check.rule {
    case .bestIn, .peakInterior, .monotone: rangesOverX = true
    default: rangesOverX = false
    }
    if rangesOverX, let xKey = layout.xKey {
      let goal = naturalGoal(of: layout.metric)
      let phrases = layout.series.compactMap { series -> String? in
        let candidates = series.rows.filter { !$0.isDiverged && $0.summary.mean != nil }
        guard
          let best = candidates.max(by: { a, b in
            let (ma, mb) = (a.summary.mean!, b.summary.mean!)
            return goal == .max ? ma < mb : ma > mb
          })
        else { return nil }
        // The arm by its name when the spec names it (two arms can share an x value: block size 1 with and without
        // DropBlock), an arm of a categorical axis by its label, a number by its key.
        var x: String
        if let name = best.point.name(along: xKey) {
          x = name
        } else if layout.categorical {
          x = layout.category(best)
        } else {
          x = "\(shortKey(xKey)) = \(layout.rawX(best))"
        }
        if layout.transform == .oneMinus, !layout.categorical {
          let label = r.spec.report?.xTransformLabel ?? "1 − x"
          x += " (\(label) = \(Fmt.axis(layout.plotX(best))))"
        }
        var value = Fmt.metric(best.summary.mean!, layout.metric)
        if let half = best.halfWidth { value += " ± " + Fmt.metric(half, layout.metric) }
        let prefix = series.label.isEmpty ? "" : "\(series.label): "
        return "\(prefix)best \(x), \(layout.metric) \(value)"
      }
      if !phrases.isEmpty { return phrases.joined(separator: "; ") }
    }
    // At most four comparisons in a table cell (a plateau alone has one per pair of points); the page has all.
    let comparisons = pairedComparisons(r.verdict, check: r.spec.claim.check)
    let shown = comparisons.prefix(4).joined(separator: "; ")
    if comparisons.count > 4 { return shown + "; … (\(comparisons.count - 4) more on the page)" }
    if !comparisons.isEmpty { return shown }
    return firstClause(checkExplanation(r.verdict))
  }

  /// The check's own explanation: without the regime summary and "The check alone would say …:" that the gate
  /// puts in front.
  static func checkExplanation(_ v: ClaimEvaluation) -> String {
    var text = Substring(v.explanation)
    if let regime = v.regime, text.hasPrefix(regime.summary) { text = text.dropFirst(regime.summary.count) }
    text = text.drop { $0 == " " }
    let lead = "The check alone would say "
    if text.hasPrefix(lead), let colon = text.firstIndex(of: ":") { text = text[text.index(after: colon)...] }
    return String(text.drop { $0 == " " })
  }

  /// "test_accuracy: a vs b +0.65 [−0.09, 1.39]" for every paired difference with a 95% interval, of the claim and
  /// its parts, with the `by` group it belongs to ("… (MNIST) +0.14 [...]"), so no two read alike. Comparisons
  /// without an interval (too few seeds, variance ratios) are left to the page.
  static func pairedComparisons(_ evaluation: ClaimEvaluation, check: ClaimCheck) -> [String] {
    // The evaluation's parts follow the check: one per `by` group (labelled by the group), else one per sub-check.
    func walk(_ e: ClaimEvaluation, _ check: ClaimCheck, _ groups: [String]) -> [String] {
      if !check.by.isEmpty {
        var inner = check
        inner.by = []
        inner.filter = [:]
        return e.parts.flatMap { walk($0, inner, groups + [$0.label]) }
      }
      if case .all(let checks) = check.rule { return zip(e.parts, checks).flatMap { walk($0, $1, groups) } }
      return e.comparisons.compactMap { c in
        guard let d = c.meanDiff, let lo = c.ciLow, let hi = c.ciHigh else { return nil }
        // The group, unless the label already ends with it (the names both sides share).
        let text = "(\(groups.joined(separator: ", ")))"
        let group = groups.isEmpty || c.label.hasSuffix(text) ? "" : " " + text
        return "\(e.metric): \(c.label)\(group) \(Fmt.decimals(d, 2, sign: true)) [\(Fmt.decimals(lo, 2)), \(Fmt.decimals(hi, 2))]"
      }
    }
    return walk(evaluation, check, [])
  }

  /// The explanation up to its first sentence end (". ") or semicolon outside parentheses.
  static func firstClause(_ text: String) -> String {
    var depth = 0
    var index = text.startIndex
    while index < text.endIndex {
      let c = text[index]
      if c == "(" { depth += 1 }
      if c == ")" { depth = max(0, depth - 1) }
      let next = text.index(after: index)
      if depth == 0, c == ";" || (c == "." && (next == text.endIndex || text[next] == " ")) { break }
      index = next
    }
    return String(text[..<index])
  }

  private static func shortKey(_ key: String) -> String {
    key.split(separator: ".").last.map(String.init) ?? key
  }
}


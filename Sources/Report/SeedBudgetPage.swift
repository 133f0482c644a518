import Experiments
import Foundation

/// `dropbench seeds`: per stored experiment, the paired seeds each comparison would need to detect what it observed,
/// as a Markdown section.
public enum SeedBudgetPage {
  public static func markdown(_ plan: SeedBudget.Plan, verdict: String) -> String {
    func num(_ v: Double?) -> String { v.map { Fmt.decimals($0, 2, sign: true) } ?? "–" }
    var s = "## \(plan.experimentID) (\(verdict)): \(plan.seeds) seeds × \(plan.points) grid points\n\n"
    s += "| comparison | paired seeds | Δ | MDE now | seeds to detect Δ |\n|---|--:|--:|--:|--:|\n"
    for l in plan.lines {
      let needed = l.needed.map(String.init) ?? (l.note ?? "–")
      s +=
        "| \(l.label) | \(l.n) | \(num(l.meanDiff)) | \(l.mde.map { Fmt.decimals($0, 2) } ?? "–") | \(needed) |\n"
    }
    if let all = plan.seedsForAll {
      s += "\nEvery estimable comparison detectable at \(all) seeds"
      s +=
        all > plan.seeds
        ? ": \(all - plan.seeds) more seed\(all - plan.seeds == 1 ? "" : "s"), \(plan.extraRuns) more runs, about "
          + "\(Fmt.duration(plan.extraSeconds)) of "
          + "single-core training.\n"
        : " — the seeds there are.\n"
    } else {
      s += "\nNo comparison has a difference and a spread to plan from.\n"
    }
    return s
  }
}

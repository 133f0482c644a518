import Foundation

extension ExperimentSpec {
  /// The parts of `current` (the spec file as it reads now) that describe rather than set the stored runs, taken
  /// into this stored spec (the one results JSON keeps, run at `scale`) when they differ from it and nothing else
  /// does: the `paper` block (the paper's numbers are facts about the paper — a correction of claims.md, Table 1's
  /// values for the comparison figure), the arms' `names` and the claim's `question` (display only), and a `tune`
  /// budget that applies neither at the stored scale nor did before (it changes no run there; the page says what
  /// the tuned scale would do). They reach the page without retraining. Any other difference leaves the stored
  /// spec alone — the results describe the spec they were run with. Returns the updated spec and what was taken.
  public func adoptingDescription(of current: ExperimentSpec, scale: String) -> (
    spec: ExperimentSpec, parts: [String]
  )? {
    var adopted = self
    var parts: [String] = []
    if current.paper != adopted.paper {
      adopted.paper = current.paper
      parts.append("paper block")
    }
    if current.names != adopted.names {
      adopted.names = current.names
      parts.append("arm names")
    }
    if current.claim.question != adopted.claim.question {
      adopted.claim.question = current.claim.question
      parts.append("claim question")
    }
    if current.tune != adopted.tune, current.tune?.applies(to: scale) != true, adopted.tune?.applies(to: scale) != true
    {
      adopted.tune = current.tune
      parts.append("tuning budget (not applied at \(scale) scale)")
    }
    guard !parts.isEmpty, adopted.tree == current.tree else { return nil }
    return (adopted, parts)
  }
}

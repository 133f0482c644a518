import Foundation
import NumberFormat

/// When a claim cannot be tested at this budget — decided by numbers, not by taste (issue 26, part 4). A spec
/// states what the decision needs in its claim:
///
/// ```yaml
/// claim:
///   paper_effect: 0.73        # the paper's effect, in the check metric's units, in the claim's direction
///   premise_missing: "…"      # a premise of the claim the proxy lacks (argued in the spec), if any
/// ```
///
/// The outcome `not testable` replaces a verdict in two cases only:
/// - **the premise**: the spec states a premise the proxy lacks (Attentive CutMix's heat map from a strong
///   pretrained network, where the proxy's teacher is a few-epoch net on the same images); whatever the check
///   says on the proxy is description;
/// - **the minimum detectable effect**: the check is inconclusive, and the smallest effect its decisive paired
///   comparisons detect at 80% power and 5% two-sided (`Comparison.mde`) exceeds the paper's effect — the design
///   could not have seen an effect of the paper's size. A check that holds or fails was testable; a proxy not in
///   regime stays `proxy invalid` with the condition that failed.
public struct Testability: Sendable, Equatable {
  public var paperEffect: Double?
  public var premiseMissing: String?

  public init(paperEffect: Double? = nil, premiseMissing: String? = nil) {
    self.paperEffect = paperEffect
    self.premiseMissing = premiseMissing
  }

  static let keys = ["paper_effect", "premise_missing"]

  /// From the claim's map; nil when it states neither key.
  init?(claim c: MapReader, file: String) throws(SpecError) {
    let effect = try c.optionalDouble("paper_effect")
    let premise = try c.optionalString("premise_missing")
    guard effect != nil || premise != nil else { return nil }
    if let effect, !(effect > 0) {
      throw c.error(
        "paper_effect",
        "must be above 0 — the size of the paper's effect in the check metric's units, e.g. paper_effect: 0.73; got \(Fmt.plain(effect))"
      )
    }
    if let premise, premise.trimmingCharacters(in: .whitespaces).isEmpty {
      throw c.error("premise_missing", "must say which premise of the claim the proxy lacks, or be left out")
    }
    self.init(paperEffect: effect, premiseMissing: premise)
  }

  /// The claim-map entries, for the spec's tree.
  var entries: [String: ConfigValue] {
    var m: [String: ConfigValue] = [:]
    if let paperEffect { m["paper_effect"] = .double(paperEffect) }
    if let premiseMissing { m["premise_missing"] = .string(premiseMissing) }
    return m
  }
}

/// What the testability decision measured, stored with a `not testable` evaluation (and with any evaluation whose
/// spec states a paper effect, so the page can put the MDE beside it).
public struct TestabilityReport: Codable, Sendable, Equatable {
  /// The paper's effect (`paper_effect`), nil when the spec states none.
  public var paperEffect: Double?
  /// The largest MDE among the decisive paired comparisons (80% power, 5% two-sided), nil when none has one.
  public var mde: Double?
  /// Paired seeds behind `mde`.
  public var seeds: Int?
  /// Seeds at which the same paired sd would give an MDE at most the paper's effect (nil when not computed).
  public var seedsNeeded: Int?
  /// The premise the proxy lacks, when the spec states one.
  public var premiseMissing: String?
}

extension Testability {
  /// The decision on `evaluation` (the check's verdict after the regime gate): the report, and whether the claim
  /// is not testable at this budget.
  func decide(_ evaluation: ClaimEvaluation) -> (report: TestabilityReport, notTestable: Bool) {
    func leaves(_ e: ClaimEvaluation) -> [ClaimEvaluation] { e.parts.isEmpty ? [e] : e.parts.flatMap(leaves) }
    // The undecided leaves decide: an inconclusive check is untestable when what left it undecided could not
    // have seen the paper's effect.
    let undecided = leaves(evaluation).filter { $0.verdict == .inconclusive }
    let widest = undecided.flatMap(\.comparisons).filter { $0.mde != nil }.max { $0.mde! < $1.mde! }
    var report = TestabilityReport(
      paperEffect: paperEffect, mde: widest?.mde, seeds: widest?.n, premiseMissing: premiseMissing)
    if let widest, let mde = widest.mde, let effect = paperEffect, mde > effect {
      report.seedsNeeded = Self.seedsNeeded(mde: mde, n: widest.n, effect: effect)
    }
    if premiseMissing != nil { return (report, true) }
    let tooCoarse = evaluation.verdict == .inconclusive && report.mde.map { m in paperEffect.map { m > $0 } ?? false } == true
    return (report, tooCoarse)
  }

  /// The smallest n whose MDE, with the paired sd implied by (`mde`, `n`), is at most `effect`; capped at 1,000.
  static func seedsNeeded(mde: Double, n: Int, effect: Double) -> Int? {
    guard n >= 2 else { return nil }
    func factor(_ n: Int) -> Double {
      let df = Double(n - 1)
      return (Statistics.studentTQuantile(0.975, df: df) + Statistics.studentTQuantile(0.80, df: df)) / Double(n).squareRoot()
    }
    let sd = mde / factor(n)
    for m in n...1000 where factor(m) * sd <= effect { return m }
    return nil
  }
}

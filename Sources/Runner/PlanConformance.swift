import Experiments
import Foundation
import NN
import Regularizers

/// The conformance gate over a plan: each regularizer's statistical self-test (`Conformance.check`) at the sites
/// and with the parameters the plan uses, or at representative sites (`dropbench gate`). `run` refuses a plan with
/// a failure.
extension Conformance {
  /// The self-test of one regularizer at one site with one set of parameters.
  public struct Finding: Sendable {
    public var regularizer: String
    public var site: String
    public var parameters: String
    public var results: [ConformanceResult]

    public var passed: Bool { results.allSatisfy(\.passed) }

    /// One line naming the regularizer, the site and every failing property with what was measured.
    public var failureLine: String? {
      let failed = results.filter { !$0.passed }
      guard !failed.isEmpty else { return nil }
      return "\(regularizer) at \(site) (\(parameters)) fails its gate: "
        + failed.map { "\($0.property) (measured \($0.measured))" }.joined(separator: "; ")
    }
  }

  /// Checks every distinct (regularizer, site, parameters) of the plan's runs.
  public static func check(_ plan: ExperimentPlan) throws -> [Finding] {
    var seen: Set<String> = []
    var findings: [Finding] = []
    for run in plan.runs {
      for regularizer in run.config.regularizer.all {
        try checkSites(regularizer, run.config, seen: &seen, into: &findings)
      }
    }
    return findings
  }

  /// One regularizer of a run at each of its sites, unless that (method, model, site, parameters) was seen.
  static func checkSites(
    _ regularizer: RegularizerConfig, _ config: RunConfig, seen: inout Set<String>, into findings: inout [Finding]
  ) throws {
    guard let descriptor = RegularizerRegistry.descriptor(regularizer.name),
      let shape = CatalogBuilder.catalog.datasets[config.dataset.name]?.imageShape
    else { return }
    guard let model = ModelRegistry.definition(config.model.name) else { return }
    let sites = model.sites(inputShape: shape, parameters: config.model.params)
      .filter { $0.kind == descriptor.plugPoint.siteKind }
    for name in regularizer.at {
      guard let site = sites.first(where: { $0.name == name }) else { continue }
      let values = try descriptor.resolve(regularizer.params(at: name)).get()
      let text = describe(values)
      guard seen.insert("\(descriptor.name)|\(config.model.name)|\(site)|\(text)").inserted else { continue }
      findings.append(
        Finding(
          regularizer: descriptor.name, site: "\(config.model.name).\(name)", parameters: text,
          results: check(descriptor, values, at: site)))
    }
  }

  /// Each named regularizer (all when empty) with default parameters at a representative site of its kind.
  public static func defaults(_ names: [String]) throws -> [Finding] {
    let chosen = names.isEmpty ? RegularizerRegistry.all.filter { $0.name != "none" } : try names.map { name in
      guard let d = RegularizerRegistry.descriptor(name) else { throw RunnerError.unknownRegularizer(name) }
      return d
    }
    return try chosen.map { d in
      let site = representativeSite(d.plugPoint)
      let values = try d.resolve([:]).get()
      return Finding(
        regularizer: d.name, site: site.name, parameters: describe(values),
        results: check(d, values, at: site))
    }
  }

  static func describe(_ values: [String: ConfigValue]) -> String {
    values.isEmpty ? "no parameters" : values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
  }
}

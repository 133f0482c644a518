import Experiments
import Regularizers
import Testing

@testable import Runner

@Suite struct PlanConformanceTests {
  /// `run` checks every (regularizer, site, parameters) a plan uses, once each.
  @Test func planGateCoversEachSiteOnceAndPasses() throws {
    let spec = try ExperimentSpec.parse(yaml: EvalAxisTests.yaml, fileName: "eval-axis.yaml")
    let findings = try Conformance.check(try spec.plan(scale: "default", catalog: CatalogBuilder.catalog))
    #expect(findings.map(\.site) == ["mlp.hidden1"])
    #expect(findings.allSatisfy { $0.passed } && findings.allSatisfy { $0.failureLine == nil })
    #expect(findings[0].results.map(\.property).contains("drop fraction 0.2"))
  }

  /// A failing property becomes one line naming the method, the site and what was measured.
  @Test func failureLineNamesMethodSiteAndProperty() {
    let finding = Conformance.Finding(
      regularizer: "dropout", site: "mlp.hidden1", parameters: "rate 0.3",
      results: [
        ConformanceResult(property: "drop fraction 0.3", passed: true, measured: "0.3"),
        ConformanceResult(property: "kept values scaled by 1.4286", passed: false, measured: "largest deviation 1.9"),
      ])
    #expect(
      finding.failureLine
        == "dropout at mlp.hidden1 (rate 0.3) fails its gate: kept values scaled by 1.4286 (measured largest deviation 1.9)")
  }

  /// Every registered method passes its gate at its representative site.
  @Test func defaultsPass() throws {
    let findings = try Conformance.defaults([])
    #expect(findings.count == RegularizerRegistry.all.count - 1)
    #expect(findings.allSatisfy { $0.passed })
  }
}

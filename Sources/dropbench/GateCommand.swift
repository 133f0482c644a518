import ArgumentParser
import Foundation
import Regularizers
import Runner

/// `dropbench gate [name…]`: each regularizer's conformance self-test, in seconds.
struct GateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gate",
    abstract: "Check that regularizers do what they declare: drop fraction, scaling, structure, evaluation rule.",
    discussion: """
      Each regularizer runs 200 training steps on a fixed probe at a representative site of its kind with default \
      parameters (or, with --experiment, at every site and parameter set the specs use), and every property it \
      declares is tested: the drop fraction against its expectation (|z| ≤ 4 or within half a point), kept values \
      against the declared scaling, whole channels or blocks where declared, and the evaluation rule. `run` and \
      `replicate` refuse a spec whose regularizer fails. Exit 0 when all pass, 1 when one fails.
      """)

  @Argument(help: "Regularizer names (default: all).") var names: [String] = []
  @Option(name: .customLong("experiment"), help: "Gate the sites and parameters of these specs instead (repeatable).")
  var experiments: [String] = []
  @Option(help: "Directory of experiment specs.") var experimentsDirectory: String = "Experiments"

  func run() throws {
    var failed = false
    try guarded {
      var findings: [Conformance.Finding] = []
      if experiments.isEmpty {
        findings = try Conformance.defaults(names)
      } else {
        for id in experiments {
          let (spec, _) = try SpecFiles.load(SpecFiles.resolve(id, in: experimentsDirectory))
          for scale in Set(spec.scales.keys).union(["default"]).sorted() {
            for finding in try Conformance.check(spec.plan(scale: scale, catalog: CatalogBuilder.catalog))
            where !findings.contains(where: { $0.site == finding.site && $0.parameters == finding.parameters && $0.regularizer == finding.regularizer }) {
              findings.append(finding)
            }
          }
        }
      }
      for finding in findings {
        print("\(finding.passed ? "ok  " : "FAIL") \(finding.regularizer) at \(finding.site) (\(finding.parameters))")
        for r in finding.results {
          print("       \(r.passed ? "✓" : "✗") \(r.property): \(r.measured)")
        }
        if finding.results.isEmpty { print("       (declares no testable property)") }
        failed = failed || !finding.passed
      }
    }
    if failed { throw ExitCode(1) }
  }
}

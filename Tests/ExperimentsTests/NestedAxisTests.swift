import Foundation
import Testing

@testable import Experiments

/// A check may name a field inside a swept map — `regularizer.block_size` of a list of regularizer arms, as
/// heuristic-dropout-k reads `regularizer.k` — so a sweep of one method's parameter can sit beside a plain
/// `{name: none}` reference arm. The arms without the field take no part in the check; a check that selects one is
/// refused with the key and the fix.
@Suite struct NestedAxisTests {
  static func yaml(where filter: String = "\n    where: {regularizer: dropblock}") -> String {
    """
    id: nested-axis
    title: DropBlock works best at block 3
    method: dropblock
    paper: {cite: "c", where: "w", result: "r"}
    claim:
      text: Accuracy is highest at block 3, and block 2 is steadier than block 3.
      check:
        kind: all\(filter)
        checks:
          - {kind: argmax_in, x: regularizer.block_size, metric: test_accuracy, range: [3, 3]}
          - {kind: less_variable, metric: test_accuracy, a: {regularizer.block_size: 2}, b: {regularizer.block_size: 3}}
    setting: {paper: "p", ours: "o"}
    base:
      dataset: {name: fashion-mnist, train_size: 1000}
      model: {name: cnn}
      regularizer: {name: none}
      train: {epochs: 2, batch: 64, lr: 0.05}
    sweep:
      regularizer:
        - {name: none}
        - {name: dropblock, rate: 0.1, block_size: 1}
        - {name: dropblock, rate: 0.1, block_size: 2}
        - {name: dropblock, rate: 0.1, block_size: 3}
    seeds: [0, 1, 2, 3, 4, 5, 6, 7]
    """
  }

  /// Parsed and validated as `dropbench` does before any run.
  static func spec(_ yaml: String) throws -> ExperimentSpec {
    let spec = try ExperimentSpec.parse(yaml: yaml, fileName: "Experiments/nested-axis.yaml")
    try spec.validate(catalog: .fixture)
    return spec
  }

  @Test func aFieldOfASweptMapIsReadAsAnAxis() throws {
    let spec = try Self.spec(Self.yaml())
    let points = spec.points()
    #expect(points.count == 4)
    #expect(points[0].value(at: "regularizer.block_size") == nil)
    #expect(points.map { $0.value(at: "regularizer.block_size")?.asInt } == [nil, 1, 2, 3])
    #expect(points[1].value(at: "regularizer.rate") == .double(0.1))
    #expect(points.filter { $0.matches(["regularizer.block_size": .int(2)]) }.map(\.index) == [2])
    #expect(points.filter { $0.matches(["regularizer.block_size": .map(["in": .list([.int(2), .int(3)])])]) }.count == 2)
    // A sweep key reads as before.
    #expect(points[0].value(at: "regularizer") == .map(["name": .string("none")]))
  }

  /// Accuracy per seed: the plain arm scores far above every block size, so a check that let it in would call
  /// block 3 beaten from outside the range; block 3 leads the others by 6 points, and block 2 varies less than 3.
  func runs(_ points: [GridPoint]) -> [RunRecord] {
    points.flatMap { p in
      (0..<8).map { seed in
        let size = p.value(at: "regularizer.block_size")?.asInt
        let wobble = Double(seed % 2 == 0 ? 1 : -1) * (size == 3 ? 2.0 : 0.3) + 0.01 * Double(seed)
        let accuracy = (size == nil ? 95 : size == 3 ? 60 : 54) + wobble
        return RunRecord(
          key: "\(p.index)-\(seed)", point: p.coordinates, seed: seed, config: .map([:]), status: .ok, epochs: [],
          final: ["test_accuracy": accuracy, "train_accuracy": 99], wallSeconds: 0)
      }
    }
  }

  @Test func theChecksSeeOnlyTheArmsThatSetTheField() throws {
    let spec = try Self.spec(Self.yaml())
    let points = spec.points()
    let evaluation = evaluate(spec.claim.check, points: points, runs: runs(points))
    #expect(evaluation.parts.count == 2)
    #expect(evaluation.parts[0].verdict == .holds, "\(evaluation.parts[0].explanation)")
    #expect(evaluation.parts[1].verdict == .holds, "\(evaluation.parts[1].explanation)")
    #expect(evaluation.verdict == .holds)
    #expect(!evaluation.parts[0].explanation.contains("none"))
  }

  @Test func aCheckThatSelectsAnArmWithoutTheFieldIsRefused() {
    do {
      _ = try Self.spec(Self.yaml(where: ""))
      Issue.record("expected an error at claim.check.checks[0].x")
    } catch let error as SpecError {
      #expect(error.keyPath == "claim.check.checks[0].x")
      #expect(error.message.hasSuffix("has no regularizer.block_size"), "\(error.message)")
      #expect(error.suggestion?.contains("where:") == true)
    } catch {
      Issue.record("unexpected \(error)")
    }
    // A field no arm sets is not a key at all.
    let typo = Self.yaml().replacingOccurrences(of: "x: regularizer.block_size,", with: "x: regularizer.block,")
    #expect(throws: SpecError.self) { try Self.spec(typo) }
  }
}

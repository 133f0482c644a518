import Testing

@testable import Experiments

@Suite struct SweepTests {
  private func plan(_ replacements: [String: String], scale: String = "default", overrides: [String] = []) throws
    -> ExperimentPlan
  {
    let spec = try ExperimentSpec.parse(yaml: cutoutSpecYAML(replacing: replacements))
    return try spec.plan(scale: scale, overrides: try overrides.map { try Override.parse($0) }, catalog: .fixture)
  }

  @Test func gridOrderFirstKeySlowestSeedsInner() throws {
    let p = try plan([
      "  regularizer.length: [0, 4, 8, 12, 16, 20]": "  regularizer.length: [0, 8]\n  train.lr: [0.1, 0.01, 0.001]",
      "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}":
        "check: {kind: monotone, x: regularizer.length, metric: test_accuracy, direction: increasing, by: [train.lr]}",
    ])
    #expect(
      p.points.map(\.label) == [
        "regularizer.length=0, train.lr=0.1", "regularizer.length=0, train.lr=0.01",
        "regularizer.length=0, train.lr=0.001",
        "regularizer.length=8, train.lr=0.1", "regularizer.length=8, train.lr=0.01",
        "regularizer.length=8, train.lr=0.001",
      ])
    #expect(p.points.map(\.index) == Array(0..<6))
    #expect(p.runs.count == 30)
    #expect(p.runs.prefix(6).map(\.seed) == [0, 1, 2, 3, 4, 0])
    #expect(p.runs[5].config.train.lr == 0.01)
    #expect(p.runs[0].config.regularizer.params["length"] == .int(0))
  }

  @Test func zipPairsValues() throws {
    let p = try plan([
      "method: cutout": "method: dropout",
      "  regularizer.length: [0, 4, 8, 12, 16, 20]":
        "  zip: {regularizer.name: [dropout, spatial-dropout], regularizer.rate: [0.1, 0.2]}",
      "regularizer: {name: cutout, length: 0}": "regularizer: {name: dropout, at: [conv2]}",
      "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}":
        "check: {kind: better_than, metric: test_accuracy, a: {regularizer.name: spatial-dropout}, b: {regularizer.name: dropout}}",
    ])
    #expect(
      p.points.map(\.label) == [
        "regularizer.name=dropout, regularizer.rate=0.1", "regularizer.name=spatial-dropout, regularizer.rate=0.2",
      ])
    #expect(
      p.runs[5].config.regularizer
        == RegularizerConfig(name: "spatial-dropout", at: ["conv2"], params: ["rate": .double(0.2)]))
  }

  @Test func mapValuedArmsReplaceTheSubtree() throws {
    let p = try plan([
      "method: cutout": "method: dropblock",
      "  regularizer.length: [0, 4, 8, 12, 16, 20]":
        "  regularizer: [{name: none}, {name: dropout, rate: 0.1}, {name: dropblock, rate: 0.1, block_size: 3}]",
      "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}":
        "check: {kind: better_than, metric: test_accuracy, a: {regularizer: dropblock}, b: {regularizer: dropout}}",
    ])
    #expect(p.points.map(\.label) == ["none", "dropout", "dropblock"])
    #expect(p.runs[0].config.regularizer == RegularizerConfig(name: "none"))
    #expect(
      p.runs[10].config.regularizer.params == [
        "rate": .double(0.1), "block_size": .int(3), "schedule": .string("fixed"),
      ])
    #expect(p.runs[10].config.regularizer.at == ["conv2"])
  }

  @Test func scaleOverridesApply() throws {
    let smoke = try plan([:], scale: "smoke")
    #expect(smoke.runs.count == 6)
    #expect(smoke.runs.allSatisfy { $0.config.train.epochs == 1 && $0.config.dataset.trainSize == 512 && $0.seed == 0 })
    let full = try plan([:], scale: "full")
    #expect(full.spec.seeds == Array(0..<10))
    #expect(full.runs.count == 60)
  }

  @Test func scaleMayOverrideASweepKey() throws {
    let p = try plan(
      ["smoke: {train.epochs: 1,": "smoke: {sweep.regularizer.length: [0, 8, 16], train.epochs: 1,"], scale: "smoke")
    #expect(p.points.map(\.label) == ["regularizer.length=0", "regularizer.length=8", "regularizer.length=16"])
  }

  @Test func overridesApplyAfterTheScale() throws {
    let p = try plan(
      [:], scale: "smoke", overrides: ["seeds=[3,4]", "train.epochs=2", "sweep.regularizer.length=[0, 8, 16]"])
    #expect(p.spec.seeds == [3, 4])
    #expect(p.runs.count == 6)
    #expect(p.runs.allSatisfy { $0.config.train.epochs == 2 })
  }

  @Test func unknownScaleListsChoices() {
    #expect {
      try plan([:], scale: "smok")
    } throws: { error in
      (error as! SpecError).description.contains(
        "unknown scale 'smok' (did you mean 'smoke'? choices: default, full, smoke)")
    }
  }
}

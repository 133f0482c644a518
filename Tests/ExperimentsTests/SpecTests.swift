import Foundation
import Testing

@testable import Experiments

@Suite struct SpecTests {
  @Test func parsesTheExampleSpec() throws {
    let spec = try ExperimentSpec.parse(yaml: cutoutSpecYAML(), fileName: "Experiments/cutout-patch-length.yaml")
    #expect(spec.id == "cutout-patch-length")
    #expect(spec.method == "cutout")
    #expect(spec.paper.where == "Fig. 3")
    #expect(
      spec.claim.check == ClaimCheck(.peakInterior(x: "regularizer.length", metric: "test_accuracy", direction: nil)))
    #expect(spec.base[path: "train.weight_decay"] == .double(0.0005))
    #expect(spec.sweep.keys == ["regularizer.length"])
    #expect(spec.seeds == [0, 1, 2, 3, 4])
    #expect(Set(spec.scales.keys) == ["smoke", "default", "full"])
    #expect(spec.report?.paperX == .int(16))
  }

  @Test func idMustMatchFileName() {
    #expect {
      try ExperimentSpec.parse(yaml: cutoutSpecYAML(), fileName: "Experiments/cutout.yaml")
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "id" && e.description.hasPrefix("Experiments/cutout.yaml:1: id: id 'cutout-patch-length'")
    }
  }

  @Test func unknownTopLevelKeySuggestsNearest() {
    #expect {
      try ExperimentSpec.parse(yaml: cutoutSpecYAML(replacing: ["seeds: [0, 1, 2, 3, 4]": "seed: [0, 1]"]))
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "seed" && e.message == "unknown key 'seed'"
        && e.suggestion?.hasPrefix("did you mean 'seeds'?") == true
    }
  }

  @Test func storedSpecRoundTripsThroughJSONKeepingSweepOrder() throws {
    let yaml = cutoutSpecYAML(replacing: [
      "  regularizer.length: [0, 4, 8, 12, 16, 20]":
        "  regularizer.length: [0, 4]\n  dataset.name: [mnist-5k, fashion-mnist]\n  zip: {train.lr: [0.1, 0.2], train.epochs: [1, 2]}"
    ])
    let spec = try ExperimentSpec.parse(yaml: yaml)
    #expect(spec.sweep.keys == ["regularizer.length", "dataset.name", "train.lr", "train.epochs"])
    let data = try JSONEncoder().encode(spec)
    let decoded = try JSONDecoder().decode(ExperimentSpec.self, from: data)
    #expect(decoded == spec)
    #expect(decoded.sweep.keys == spec.sweep.keys)
  }

  @Test func runConfigRoundTripsAndFillsDefaults() throws {
    let spec = try ExperimentSpec.parse(yaml: cutoutSpecYAML())
    let run = try spec.plan(scale: "default", catalog: .fixture).runs[0]
    #expect(run.config.train.evalBatch == 1000)
    #expect(run.config.train.schedule == "constant")
    #expect(run.config.regularizer.at == ["input"])
    #expect(run.config.model.params["channels"] == .list([.int(32), .int(64)]))
    #expect(run.configTree[path: "train.weight_decay"] == .double(0.0005))
    let data = try JSONEncoder().encode(run.config)
    #expect(try JSONDecoder().decode(RunConfig.self, from: data) == run.config)
  }

  @Test func loadsAFileAndReportsAMissingOne() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spec-tests-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("cutout-patch-length.yaml").path
    try cutoutSpecYAML().write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try ExperimentSpec.load(path: path).id == "cutout-patch-length")
    #expect(throws: SpecError.self) { try ExperimentSpec.load(path: dir.appendingPathComponent("missing.yaml").path) }
  }
}

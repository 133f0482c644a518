import Experiments
import Foundation
import NN
import Testing

@testable import Runner

/// A teacher (Attentive CutMix's) is part of what a run depends on: its settings are in the run's key, its code is
/// in the versions the key and the artifact store are named by, and a stored teacher is read back bit for bit.
@Suite struct ArtifactTests {
  @Test func teacherSettingsAndCodeChangeTheRunKey() throws {
    func tree(_ teacherEpochs: Int) throws -> ConfigValue {
      try SeveralRegularizersTests.resolve(
        SeveralRegularizersTests.run("{name: attentive-cutmix, teacher_epochs: \(teacherEpochs)}", model: "{name: cnn}")
      ).tree
    }
    let a = RunCache.key(configTree: try tree(3), datasetChecksums: [:], kernels: "k")
    #expect(a == RunCache.key(configTree: try tree(3), datasetChecksums: [:], kernels: "k"))
    #expect(a != RunCache.key(configTree: try tree(4), datasetChecksums: [:], kernels: "k"))
    // The method's own file is part of its version (and so of the key and of the artifact namespace).
    #expect(EngineVersion.regularizer("attentive-cutmix") != "unknown")
    #expect(EngineVersion.regularizer("attentive-cutmix") != EngineVersion.regularizer("cutmix"))
  }

  @Test func diskArtifactsRoundTripAndAreNamespaced() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("artifacts-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let values: [Float] = [1.5, -0, .infinity, 3.25e-7, -2]
    DiskArtifacts(directory: dir, namespace: "v1").store("teacher", values)
    // A fresh store (another process) reads the same bits from disk.
    let read = try #require(DiskArtifacts(directory: dir, namespace: "v1").load("teacher"))
    #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    // Another engine or method version never sees it.
    #expect(DiskArtifacts(directory: dir, namespace: "v2").load("teacher") == nil)
    #expect(DiskArtifacts(directory: dir, namespace: "v1").load("other") == nil)
  }
}

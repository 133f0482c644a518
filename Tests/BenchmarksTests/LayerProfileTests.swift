import Datasets
import Testing

@testable import Benchmarks

@Suite struct LayerProfileTests {
  static func data() throws -> Dataset {
    try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 512, testSize: 100))
  }

  /// The per-layer profile times every top-level layer of W2 (cnn + dropout) and prints a row for each.
  @Test func profilesEveryLayerOfTheCNN() throws {
    let profile = try LayerProfile.run("W2", data: try Self.data(), steps: 3, warmup: 1)
    #expect(
      profile.rows.map(\.layer) == [
        "Conv2d", "MaxPool2d", "Conv2d", "MaxPool2d", "Flatten", "Linear", "ReLU", "Dropout", "Linear",
      ])
    #expect(profile.rows.allSatisfy { $0.depth == 0 })
    #expect(
      profile.rows.filter { $0.layer == "Conv2d" }.allSatisfy { $0.forwardMilliseconds > 0 && $0.backwardMilliseconds > 0 })
    #expect(profile.stepMilliseconds >= profile.rows.reduce(0) { $0 + $1.milliseconds } * 0.5)
    let table = LayerProfile.table(profile)
    #expect(table.split(separator: "\n").count == profile.rows.count + 3)
    #expect(table.contains("whole step"))
  }

  /// Inside each residual block the profile walks into the branch and the shortcut: conv, BN, conv, BN (and a
  /// 1×1 conv and BN where the block changes shape), each row's path naming where it sits.
  @Test func walksIntoResidualBlocks() throws {
    let profile = try LayerProfile.run("W3", data: try Self.data(), steps: 2, warmup: 1)
    let nested = profile.rows.filter { $0.depth == 1 }
    #expect(profile.topLevel.filter { $0.layer == "BasicBlock" }.count == 3)
    #expect(nested.filter { $0.path.contains(".branch.") }.map(\.layer) == Array(repeating: ["Conv2d", "BatchNorm", "Conv2d", "BatchNorm"], count: 3).flatMap { $0 })
    #expect(nested.filter { $0.path.contains(".shortcut.") }.map(\.layer) == ["Conv2d", "BatchNorm", "Conv2d", "BatchNorm"])
    let block = try #require(profile.rows.firstIndex { $0.layer == "BasicBlock" })
    #expect(profile.rows[block + 1].path == "\(profile.rows[block].path).branch.0")
  }

  /// The FLOPs the profile counts layer by layer add up to the workload's count by shapes (`forwardFLOPs`, the
  /// one behind "% of sgemm peak"), and a composite row's to its children's — a miscounted convolution
  /// position or a block whose shortcut is left out would fail it.
  @Test(arguments: ["W1", "W2", "W3", "W4"])
  func flopsAddUpToTheWorkloadsCount(workload: String) throws {
    let profile = try LayerProfile.run(workload, data: try Self.data(), steps: 1, warmup: 0)
    let total = profile.topLevel.reduce(0) { $0 + $1.forwardGFLOP } * 1e9
    let expected = Benchmark.forwardFLOPs(workload) * 128
    #expect(abs(total - expected) <= 1e-9 * expected)
    for (i, r) in profile.rows.enumerated() where r.depth == 0 {
      let children = profile.rows[(i + 1)...].prefix { $0.depth > 0 }
      guard !children.isEmpty else { continue }
      #expect(abs(children.reduce(0) { $0 + $1.forwardGFLOP } - r.forwardGFLOP) <= 1e-12)
      #expect(abs(children.reduce(0) { $0 + $1.trainingGFLOP } - r.trainingGFLOP) <= 1e-12)
    }
    // Training: 3× forward, except the first layer, which computes no input gradient (2×).
    let first = try #require(profile.rows.first { $0.forwardGFLOP > 0 })
    #expect(abs(first.trainingGFLOP - 2 * first.forwardGFLOP) <= 1e-12)
    let rest = profile.topLevel.filter { $0.path != first.path }
    #expect(abs(rest.reduce(0) { $0 + $1.trainingGFLOP } - 3 * rest.reduce(0) { $0 + $1.forwardGFLOP }) <= 1e-9)
  }

  @Test func medianIsTheMiddleStep() {
    #expect(LayerProfile.medianMilliseconds([3_000_000, 1_000_000, 2_000_000]) == 2)
    #expect(LayerProfile.medianMilliseconds([]) == 0)
  }
}

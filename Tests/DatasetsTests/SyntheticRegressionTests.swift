import Foundation
import Tensor
import Testing

@testable import Datasets

@Suite struct SyntheticRegressionTests {
  @Test func examplesAreFixedByTheirIndexAndTheSplitsDisjoint() throws {
    let small = try DatasetRegistry.load("synthetic-regression", options: DatasetOptions(trainSize: 10, testSize: 5))
    let large = try DatasetRegistry.load("synthetic-regression")
    #expect(small.task == .regression && small.classes == 1)
    #expect(large.train.count == 200 && large.test.count == 1000)
    #expect(small.train.images.shape == [10, 1, 1, 1] && small.train.values?.shape == [10, 1])
    // The first examples do not depend on how many are generated.
    #expect(small.train.images.storage == Array(large.train.images.storage.prefix(10)))
    #expect(small.train.values!.storage == Array(large.train.values!.storage.prefix(10)))
    #expect(Set(large.train.images.storage).isDisjoint(with: Set(large.test.images.storage)))
    #expect(try small.checksums == DatasetRegistry.fileChecksums("synthetic-regression"))
  }

  /// 20,000 points: inputs cover [−1, 1] uniformly and the residuals y − f(x) have mean 0 and variance 0.09
  /// (standard errors 0.0021 and 0.0009; tolerances 0.01).
  @Test func targetsAreTheFunctionPlusTheStatedNoise() throws {
    let data = try DatasetRegistry.load("synthetic-regression", options: DatasetOptions(trainSize: 20_000, testSize: 1))
    let xs = data.train.images.storage
    let residuals = zip(xs, data.train.values!.storage).map { Double($1 - SyntheticRegression.truth($0)) }
    #expect(xs.allSatisfy { $0 >= -1 && $0 <= 1 })
    #expect(abs(Double(xs.filter { $0 < 0 }.count) / 20_000 - 0.5) < 0.02)
    let mean = residuals.reduce(0, +) / Double(residuals.count)
    let variance = residuals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(residuals.count - 1)
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 0.09) < 0.01)
  }

  @Test func sizesOutOfRangeAreErrors() {
    #expect(throws: DataError.self) {
      try DatasetRegistry.load("synthetic-regression", options: DatasetOptions(trainSize: 0))
    }
    #expect(throws: DataError.self) {
      try DatasetRegistry.load("synthetic-regression", options: DatasetOptions(testSize: 1 << 21))
    }
  }
}

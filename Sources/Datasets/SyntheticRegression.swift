import Foundation
import Hashing
import Tensor

/// `synthetic-regression`: a small deterministic 1-D regression set, the kind of toy data on which İrsoy &
/// Alpaydın show hierarchical mixtures of experts over-fitting with depth.
///
/// Example i of the training split has x_i uniform in [−1, 1] from `RandomKey(seed: generatorSeed).fold(.dataset)
/// .fold(i)` and target y_i = sin(2πx_i) + x_i/2 + ε_i with ε_i ~ N(0, 0.3²) from the same key; test example i uses
/// index `testIndexOffset + i`, so an example never depends on how many are generated and the splits never share
/// one. Inputs are `[N, 1, 1, 1]` (one feature, already in [−1, 1]: the normalisation is the identity), targets
/// `[N, 1]`. Defaults: 200 training and 1,000 test examples. The noise variance, 0.09, is the test MSE of the true
/// function: no model can do better on average.
enum SyntheticRegression {
  static let name = "synthetic-regression"
  /// Bump whenever the generating code changes.
  static let version = "synthetic-regression/v1"
  static let generatorSeed: UInt64 = 0x5E_6E55
  static let testIndexOffset = 1 << 40
  /// Held-out examples (`DatasetOptions.heldOutSize`) come from a third index range, shared with neither split.
  static let heldOutIndexOffset = 1 << 41
  static let maximumSize = 1 << 20
  static let noise: Float = 0.3
  static let info = DatasetInfo(imageShape: [1, 1, 1], classes: 1, task: .regression, fullTrainSize: 200, fullTestSize: 1000)

  static var checksums: [String: String] {
    ["generator": SHA256.hex("\(version) seed=\(generatorSeed) test-offset=\(testIndexOffset) noise=\(noise)")]
  }

  /// The noise-free target.
  static func truth(_ x: Float) -> Float { sinf(2 * Float.pi * x) + x / 2 }

  static func load(_ options: DatasetOptions) throws -> Dataset {
    let trainSize = try size(options.trainSize ?? info.fullTrainSize, split: "training")
    let testSize = try size(options.testSize ?? info.fullTestSize, split: "test")
    return Dataset(
      name: name, task: .regression, classes: 1, train: generate(0..<trainSize),
      test: generate(testIndexOffset..<(testIndexOffset + testSize)),
      heldOut: options.heldOutSize.flatMap { $0 > 0 ? generate(heldOutIndexOffset..<(heldOutIndexOffset + $0)) : nil },
      checksums: checksums, normalization: Normalization(mean: 0, std: 1))
  }

  private static func size(_ value: Int, split: String) throws -> Int {
    guard value > 0 else {
      throw DataError.invalidOption(dataset: name, option: "\(split) size", reason: "\(value) must be at least 1")
    }
    guard value <= maximumSize else {
      throw DataError.subsetTooLarge(dataset: name, split: split, requested: value, maximum: maximumSize)
    }
    return value
  }

  /// The examples with these indices.
  static func generate(_ indices: Range<Int>) -> Split {
    let key = RandomKey(seed: generatorSeed).fold(.dataset)
    var xs: [Float] = []
    var ys: [Float] = []
    for i in indices {
      let k = key.fold(i)
      let x = 2 * k.uniforms(1)[0] - 1
      var e: [Float] = [0]
      e.withUnsafeMutableBufferPointer { k.fold(1).fillNormal($0) }
      xs.append(x)
      ys.append(truth(x) + noise * e[0])
    }
    return Split(
      images: Tensor(shape: [xs.count, 1, 1, 1], storage: xs), labels: [], masks: nil,
      values: Tensor(shape: [ys.count, 1], storage: ys))
  }
}

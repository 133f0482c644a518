import Foundation
import Testing

@testable import Datasets

/// Loaded once for the whole suite: decoding 60 000 images per test would dominate the test run.
private let fullFashionMNIST = Result { try DatasetRegistry.load("fashion-mnist") }

/// Counts of each label value.
func classCounts(_ labels: [Int32], classes: Int) -> [Int] {
  var counts = [Int](repeating: 0, count: classes)
  for label in labels { counts[Int(label)] += 1 }
  return counts
}

/// Mean and standard deviation of every value, in Double.
func moments(_ values: [Float]) -> (mean: Double, std: Double) {
  let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
  let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
  return (mean, variance.squareRoot())
}

@Suite struct FashionMNISTTests {
  @Test func loadsWithExpectedShapesLabelsAndChecksums() throws {
    let dataset = try fullFashionMNIST.get()
    #expect(dataset.task == .classification)
    #expect(dataset.classes == 10)
    #expect(dataset.train.images.shape == [60000, 28, 28, 1])
    #expect(dataset.test.images.shape == [10000, 28, 28, 1])
    #expect(dataset.train.count == 60000 && dataset.test.count == 10000)
    #expect(dataset.train.masks == nil)
    #expect(classCounts(dataset.train.labels, classes: 10) == Array(repeating: 6000, count: 10))
    #expect(classCounts(dataset.test.labels, classes: 10) == Array(repeating: 1000, count: 10))
    #expect(dataset.checksums["train-images-idx3-ubyte.gz"] == FashionMNIST.files[0].sha256)
    #expect(dataset.checksums.count == 4)
    #expect(try DatasetRegistry.fileChecksums("fashion-mnist", options: DatasetOptions()) == dataset.checksums)
  }

  @Test func normalisationUsesTrainingStatistics() throws {
    let dataset = try fullFashionMNIST.get()
    // Published Fashion-MNIST statistics: mean 0.2860, std 0.3530.
    #expect(abs(dataset.normalization.mean - 0.2860) < 1e-3)
    #expect(abs(dataset.normalization.std - 0.3530) < 1e-3)
    let train = moments(dataset.train.images.storage)
    #expect(abs(train.mean) < 1e-4)
    #expect(abs(train.std - 1) < 1e-4)
    // The test split is normalised with the training statistics, so it is only close to standard.
    let test = moments(dataset.test.images.storage)
    #expect(abs(test.mean) < 0.05 && abs(test.std - 1) < 0.05)
  }

  @Test func alteredFileIsRejected() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    for file in FashionMNIST.files {
      try FileManager.default.copyItem(
        atPath: FashionMNIST.defaultRoot + "/" + file.name, toPath: directory + "/" + file.name)
    }
    let labelsPath = directory + "/t10k-labels-idx1-ubyte.gz"
    var bytes = try readFile(labelsPath)
    bytes[bytes.count / 2] ^= 0x01
    try writeFile(bytes, to: labelsPath)

    let options = DatasetOptions(root: directory)
    let error = #expect(throws: DataError.self) { try DatasetRegistry.load("fashion-mnist", options: options) }
    guard case .checksumMismatch(let path, _, _, _) = error else {
      Issue.record("expected a checksum mismatch, got \(String(describing: error))")
      return
    }
    #expect(path == labelsPath)
    #expect(error?.description.contains("was altered or truncated") == true)
    #expect(error?.description.contains("make deps") == true)
    #expect(throws: DataError.self) { try DatasetRegistry.fileChecksums("fashion-mnist", options: options) }
  }

  @Test func missingDirectoryNamesPathAndMakeTarget() throws {
    let options = DatasetOptions(root: "/nonexistent/dropbench-fashion")
    let error = #expect(throws: DataError.self) { try DatasetRegistry.load("fashion-mnist", options: options) }
    let message = error?.description ?? ""
    #expect(message.contains("/nonexistent/dropbench-fashion/"))
    #expect(message.contains("make deps"))
    #expect(throws: DataError.self) { try DatasetRegistry.fileChecksums("fashion-mnist", options: options) }
  }

  @Test func subsetIsStratifiedDeterministicAndIndependentOfOtherOptions() throws {
    let options = DatasetOptions(trainSize: 1000, testSize: 500, subsetSeed: 3)
    let a = try DatasetRegistry.load("fashion-mnist", options: options)
    #expect(a.train.images.shape == [1000, 28, 28, 1])
    #expect(classCounts(a.train.labels, classes: 10) == Array(repeating: 100, count: 10))
    #expect(classCounts(a.test.labels, classes: 10) == Array(repeating: 50, count: 10))
    // The training subset does not depend on the test size, and normalisation comes from the full split.
    let b = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 1000, subsetSeed: 3))
    #expect(a.train.images == b.train.images && a.train.labels == b.train.labels)
    #expect(a.normalization == (try fullFashionMNIST.get()).normalization)
  }

  @Test func oversizedSubsetNamesMaximum() {
    let error = #expect(throws: DataError.self) {
      try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 60001))
    }
    #expect(error == .subsetTooLarge(dataset: "fashion-mnist", split: "training", requested: 60001, maximum: 60000))
    #expect(error?.description.contains("60000") == true)
  }
}

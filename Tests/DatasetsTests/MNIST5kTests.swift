import Foundation
import Testing

@testable import Datasets

/// The test data file: `$DROPBENCH_DATA` or `.dropbench/data`, where `make deps` installs it.
private let mnist5k = Result { try DatasetRegistry.load("mnist-5k") }

@Suite struct MNIST5kTests {
  @Test func loadsWithFixedStratifiedSplit() throws {
    let dataset = try mnist5k.get()
    #expect(dataset.train.images.shape == [4000, 28, 28, 1])
    #expect(dataset.test.images.shape == [1000, 28, 28, 1])
    #expect(classCounts(dataset.train.labels, classes: 10) == Array(repeating: 400, count: 10))
    #expect(classCounts(dataset.test.labels, classes: 10) == Array(repeating: 100, count: 10))
    #expect(dataset.checksums == ["mnist_5k.csv.gz": MNIST5k.file.sha256])
    #expect(try DatasetRegistry.fileChecksums("mnist-5k") == dataset.checksums)
    let train = moments(dataset.train.images.storage)
    #expect(abs(train.mean) < 1e-4 && abs(train.std - 1) < 1e-4)
  }

  @Test func testRowsAreEveryFifthRowOfEachClass() throws {
    let path = MNIST5k.source.path(MNIST5k.file, DatasetOptions())
    let (pixels, labels) = try MNIST5k.parse(Gzip.decompress(readFile(path), source: path), source: path)
    let dataset = try mnist5k.get()
    // The first test example is the fifth file row of its class; the first training example is file row 0.
    let label = dataset.test.labels[0]
    let fifth = labels.indices.filter { labels[$0] == label }[4]
    #expect(labels[..<fifth].filter { $0 == label }.count == 4)
    let norm = dataset.normalization
    let expected = pixels[(fifth * 784)..<((fifth + 1) * 784)].map { (Float($0) / 255 - norm.mean) / norm.std }
    #expect(Array(dataset.test.images.storage[0..<784]) == expected)
    #expect(dataset.train.labels[0] == labels[0])
  }

  @Test func splitDoesNotDependOnSubsetSeed() throws {
    let other = try DatasetRegistry.load("mnist-5k", options: DatasetOptions(subsetSeed: 99))
    let dataset = try mnist5k.get()
    #expect(other.test.images == dataset.test.images && other.train.labels == dataset.train.labels)
  }

  @Test func subsetsAreStratifiedAndDeterministic() throws {
    let options = DatasetOptions(trainSize: 500, testSize: 200, subsetSeed: 11)
    let a = try DatasetRegistry.load("mnist-5k", options: options)
    let b = try DatasetRegistry.load("mnist-5k", options: options)
    #expect(classCounts(a.train.labels, classes: 10) == Array(repeating: 50, count: 10))
    #expect(classCounts(a.test.labels, classes: 10) == Array(repeating: 20, count: 10))
    #expect(a.train.images == b.train.images && a.test.images == b.test.images)
    let reseeded = try DatasetRegistry.load("mnist-5k", options: DatasetOptions(trainSize: 500, subsetSeed: 12))
    #expect(reseeded.train.images != a.train.images)
    #expect(reseeded.normalization == a.normalization)
    let error = #expect(throws: DataError.self) {
      try DatasetRegistry.load("mnist-5k", options: DatasetOptions(testSize: 1001))
    }
    #expect(error == .subsetTooLarge(dataset: "mnist-5k", split: "test", requested: 1001, maximum: 1000))
  }

  @Test func missingFileNamesPathAndMakeTarget() {
    let error = #expect(throws: DataError.self) {
      try DatasetRegistry.load("mnist-5k", options: DatasetOptions(root: "/nonexistent/dropbench-data"))
    }
    #expect(error?.description.contains("/nonexistent/dropbench-data/mnist_5k.csv.gz") == true)
    #expect(error?.description.contains("make deps") == true)
  }

  @Test func malformedRowsNameTheLine() throws {
    let row = Array(repeating: "0", count: 784).joined(separator: ",") + ",7\n"
    #expect(try MNIST5k.parse(Array((row + row).utf8), source: "ok.csv").labels == [7, 7])
    // A final row without its newline is still complete.
    #expect(try MNIST5k.parse(Array((row + row.dropLast()).utf8), source: "ok.csv").labels == [7, 7])
    let cases: [(String, Int)] = [
      (row + "1,2,3\n", 2),
      (row + row.replacingOccurrences(of: ",7\n", with: ",7,1\n"), 2),
      (row.replacingOccurrences(of: "0,0,", with: "256,0,"), 1),
      ("pixel0,pixel1\n" + row, 1),
      (row + row.replacingOccurrences(of: "0,0,", with: "0,,"), 2),
    ]
    for (text, line) in cases {
      let error = #expect(throws: DataError.self) { try MNIST5k.parse(Array(text.utf8), source: "bad.csv") }
      guard case .malformedCSV(let source, let reportedLine, _) = error else {
        Issue.record("expected a CSV error, got \(String(describing: error))")
        continue
      }
      #expect(source == "bad.csv" && reportedLine == line)
    }
  }
}

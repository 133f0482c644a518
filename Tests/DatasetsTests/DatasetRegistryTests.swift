import Testing

@testable import Datasets

@Suite struct DatasetRegistryTests {
  @Test func namesAndInfo() throws {
    #expect(
      DatasetRegistry.names == [
        "fashion-mnist", "mnist-5k", "synthetic-ct-seg", "synthetic-ct-seg-visible", "synthetic-regression",
      ])
    let fashion = try #require(DatasetRegistry.info("fashion-mnist"))
    #expect(fashion.imageShape == [28, 28, 1] && fashion.classes == 10 && fashion.task == .classification)
    #expect(fashion.fullTrainSize == 60000 && fashion.fullTestSize == 10000)
    #expect(DatasetRegistry.info("mnist-5k")?.fullTrainSize == 4000)
    #expect(DatasetRegistry.info("synthetic-ct-seg")?.task == .segmentation)
    #expect(DatasetRegistry.info("cifar-10") == nil)
  }

  @Test func unknownNameListsChoices() {
    let error = #expect(throws: DataError.self) { try DatasetRegistry.load("cifar-10") }
    #expect(error?.description.contains("fashion-mnist, mnist-5k, synthetic-ct-seg") == true)
    #expect(throws: DataError.self) { try DatasetRegistry.fileChecksums("cifar-10") }
  }

  @Test func sizesAreCheckedBeforeFilesAreRead() {
    // The root does not exist, yet the size error comes first.
    let options = DatasetOptions(trainSize: 70000, root: "/nonexistent")
    let expected = DataError.subsetTooLarge(
      dataset: "fashion-mnist", split: "training", requested: 70000, maximum: 60000)
    #expect(throws: expected) {
      try DatasetRegistry.load("fashion-mnist", options: options)
    }
  }
}

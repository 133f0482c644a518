import Dispatch
import Foundation

/// Fashion-MNIST (Xiao et al. 2017) from Debian's `dataset-fashion-mnist` package: four gzipped IDX files.
enum FashionMNIST {
  static let name = "fashion-mnist"
  static let defaultRoot = "/usr/share/datasets/fashion-mnist"
  static let info = DatasetInfo(
    imageShape: [28, 28, 1], classes: 10, task: .classification, fullTrainSize: 60000, fullTestSize: 10000)

  /// The four files with the SHA-256 digests of the Debian package's copies.
  static let source = PinnedFiles(
    dataset: name,
    files: [
      .init(
        name: "train-images-idx3-ubyte.gz", sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
      .init(
        name: "train-labels-idx1-ubyte.gz", sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
      .init(
        name: "t10k-images-idx3-ubyte.gz", sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
      .init(
        name: "t10k-labels-idx1-ubyte.gz", sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
    ],
    environmentVariable: "DROPBENCH_FASHION_MNIST", defaultRoot: defaultRoot,
    installHint:
      "reinstall with `make deps` (Debian package dataset-fashion-mnist), or point DROPBENCH_FASHION_MNIST at a copy")
  static var files: [PinnedFiles.File] { source.files }

  static func checksums(_ options: DatasetOptions) throws -> [String: String] { try source.checksums(options) }

  static func load(_ options: DatasetOptions) throws -> Dataset {
    // Each file is read, hashed and inflated independently, so the four run concurrently: on two cores this
    // roughly halves the load time, which is dominated by the 26 MB training images.
    let decoded = ResultSlots<IDXArray>(count: files.count)
    DispatchQueue.concurrentPerform(iterations: files.count) { i in
      decoded.set(i) {
        let (path, raw) = try source.inflated(files[i], options)
        return try IDX.parse(raw, source: path, expecting: i % 2 == 0 ? .images : .labels)
      }
    }
    let arrays = try decoded.values()
    let train = try split(images: arrays[0], labels: arrays[1], expected: info.fullTrainSize)
    let test = try split(images: arrays[2], labels: arrays[3], expected: info.fullTestSize)
    return try ClassificationAssembly.assemble(
      name: name, classes: info.classes, train: train, test: test,
      checksums: source.pinned, options: options)
  }

  private static func split(images: IDXArray, labels: IDXArray, expected: Int) throws -> ByteSplit {
    guard images.dimensions == [expected, 28, 28], labels.dimensions == [expected] else {
      throw DataError.unexpectedContents(
        dataset: name,
        reason: "images \(images.dimensions) and labels \(labels.dimensions), "
          + "expected [\(expected), 28, 28] and [\(expected)]")
    }
    let labelValues = labels.bytes[labels.payloadOffset...].map { Int32($0) }
    return ByteSplit(
      images: ByteImages(bytes: images.bytes, offset: images.payloadOffset, count: expected, shape: [28, 28, 1]),
      labels: labelValues)
  }
}

/// One result per concurrent task, filled in from `DispatchQueue.concurrentPerform`.
final class ResultSlots<Value>: @unchecked Sendable {
  // Each slot is written by exactly one task and read only after concurrentPerform returns, so raw storage
  // without a lock is safe (an array property would trip Swift's dynamic exclusivity checks).
  private let slots: UnsafeMutablePointer<Result<Value, any Error>?>
  private let count: Int

  init(count: Int) {
    self.count = count
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }

  func set(_ index: Int, _ body: () throws -> Value) {
    slots[index] = Result { try body() }
  }

  /// The values in order, or the first error by index (so the reported error does not depend on timing).
  func values() throws -> [Value] {
    try (0..<count).map { try slots[$0]!.get() }
  }
}

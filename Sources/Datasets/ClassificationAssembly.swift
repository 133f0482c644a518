/// A classification split still in bytes: what every file-backed loader produces before normalisation.
struct ByteSplit {
  var images: ByteImages
  var labels: [Int32]
}

/// The steps shared by byte-backed classification datasets: check labels, normalise with the full training split's
/// statistics, take the requested stratified subsets, convert to tensors.
enum ClassificationAssembly {
  static func assemble(
    name: String, classes: Int, train: ByteSplit, test: ByteSplit, checksums: [String: String],
    options: DatasetOptions
  ) throws -> Dataset {
    for (role, split) in [("training", train), ("test", test)] {
      if let bad = split.labels.first(where: { $0 < 0 || Int($0) >= classes }) {
        throw DataError.unexpectedContents(dataset: name, reason: "\(role) label \(bad) is outside 0..<\(classes)")
      }
    }
    let trainSize = try Subset.resolve(options.trainSize, available: train.labels.count, role: .train, dataset: name)
    let testSize = try Subset.resolve(options.testSize, available: test.labels.count, role: .test, dataset: name)
    let normalization = train.images.normalization()

    func rows(_ split: ByteSplit, size: Int?, role: Subset.Role) -> [Int]? {
      size.map {
        Subset.stratified(labels: split.labels, classes: classes, size: $0, seed: options.subsetSeed, role: role)
      }
    }
    func build(_ split: ByteSplit, rows: [Int]?) -> Split {
      Split(
        images: split.images.tensor(rows: rows, normalization: normalization),
        labels: rows.map { $0.map { split.labels[$0] } } ?? split.labels,
        masks: nil)
    }
    let trainRows = rows(train, size: trainSize, role: .train)
    let heldOutRows = options.heldOutSize.map {
      Subset.heldOut(labels: train.labels, classes: classes, training: trainRows, size: $0, seed: options.subsetSeed)
    }
    return Dataset(
      name: name, task: .classification, classes: classes,
      train: build(train, rows: trainRows), test: build(test, rows: rows(test, size: testSize, role: .test)),
      heldOut: heldOutRows.flatMap { $0.isEmpty ? nil : build(train, rows: $0) },
      checksums: checksums, normalization: normalization)
  }
}

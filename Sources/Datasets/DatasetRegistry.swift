/// The datasets DropBench can load, by the names specs use.
public enum DatasetRegistry {
  /// Every registered dataset name.
  public static let names: [String] =
    [FashionMNIST.name, MNIST5k.name] + SyntheticCT.variants.map(\.name) + [SyntheticRegression.name]

  /// Loads `name`: verifies file checksums, decodes, normalises with the full training split's statistics, and
  /// takes the subsets `options` asks for.
  ///
  /// - Throws: `DataError` — unknown name, missing or altered files (with the `make` target that installs them),
  ///   corrupt archives, or sizes larger than the split.
  public static func load(_ name: String, options: DatasetOptions = DatasetOptions()) throws -> Dataset {
    // Bad sizes are reported before tens of megabytes are read and decoded only to be rejected.
    if let info = info(name), info.task == .classification {
      _ = try Subset.resolve(options.trainSize, available: info.fullTrainSize, role: .train, dataset: name)
      _ = try Subset.resolve(options.testSize, available: info.fullTestSize, role: .test, dataset: name)
    }
    if let ct = SyntheticCT.named(name) { return try ct.load(options) }
    switch name {
    case FashionMNIST.name: return try FashionMNIST.load(options)
    case MNIST5k.name: return try MNIST5k.load(options)
    case SyntheticRegression.name: return try SyntheticRegression.load(options)
    default: throw DataError.unknownDataset(name: name, known: names)
    }
  }

  /// The checksums `load` would record, without decoding anything: file name → SHA-256 (or `"generator"` → the
  /// generator's parameter hash). Digests are remembered while a file's size and modification time are unchanged,
  /// so calling this for every run's cache key is cheap. Throws the same missing/altered-file errors as `load`.
  public static func fileChecksums(
    _ name: String, options: DatasetOptions = DatasetOptions()
  ) throws -> [String: String] {
    if let ct = SyntheticCT.named(name) { return ct.checksums }
    switch name {
    case FashionMNIST.name: return try FashionMNIST.checksums(options)
    case MNIST5k.name: return try MNIST5k.checksums(options)
    case SyntheticRegression.name: return SyntheticRegression.checksums
    default: throw DataError.unknownDataset(name: name, known: names)
    }
  }

  /// Shapes, classes, task and full split sizes of `name`, or `nil` if it is not registered. Reads no files.
  public static func info(_ name: String) -> DatasetInfo? {
    if let ct = SyntheticCT.named(name) { return ct.info }
    switch name {
    case FashionMNIST.name: return FashionMNIST.info
    case MNIST5k.name: return MNIST5k.info
    case SyntheticRegression.name: return SyntheticRegression.info
    default: return nil
    }
  }
}

@_exported import Schema
import Tensor

/// One split (train or test) of a dataset, ready for training.
public struct Split: Sendable {
  /// `[N, H, W, C]`, pixels scaled to [0, 1] and then normalised with the dataset's `normalization`.
  public var images: Tensor
  /// Class labels in `0..<classes` for classification; empty otherwise.
  public var labels: [Int32]
  /// `[N, H, W, 1]` with values in {0, 1} for segmentation; `nil` otherwise.
  public var masks: Tensor?
  /// `[N, D]` real targets for regression; `nil` otherwise.
  public var values: Tensor?
  /// Number of examples.
  public var count: Int

  public init(images: Tensor, labels: [Int32], masks: Tensor?, values: Tensor? = nil) {
    self.images = images
    self.labels = labels
    self.masks = masks
    self.values = values
    self.count = images.rows
  }

  /// The examples at `indices`, in that order.
  public func gathered(_ indices: [Int]) -> Split {
    Split(
      images: images.gather(rows: indices),
      labels: labels.isEmpty ? [] : indices.map { labels[$0] },
      masks: masks?.gather(rows: indices), values: values?.gather(rows: indices))
  }
}

/// Per-pixel normalisation `(x - mean) / std`, with `x` already scaled to [0, 1].
public struct Normalization: Codable, Sendable, Hashable {
  public var mean: Float
  public var std: Float

  public init(mean: Float, std: Float) {
    self.mean = mean
    self.std = std
  }
}

/// A loaded dataset: both splits, how it was normalised, and the checksums that identify its source.
public struct Dataset: Sendable {
  public let name: String
  public let task: TaskKind
  /// Number of classes (2 for binary segmentation: background and target).
  public let classes: Int
  public let train: Split
  public let test: Split
  /// Examples of the training pool that the training subset leaves out (`DatasetOptions.heldOutSize`), for
  /// calibration pilots: a held-out measure of generalisation that is not the test split. Nil when none was asked
  /// for or the pool has none left.
  public let heldOut: Split?
  /// File name (or `"generator"` for synthetic sets) → SHA-256 hex; goes into run cache keys and provenance.
  public let checksums: [String: String]
  /// Statistics of the full training split (before subsetting), applied to both splits.
  public let normalization: Normalization

  public init(
    name: String, task: TaskKind, classes: Int, train: Split, test: Split, heldOut: Split? = nil,
    checksums: [String: String], normalization: Normalization
  ) {
    self.name = name
    self.task = task
    self.classes = classes
    self.train = train
    self.test = test
    self.heldOut = heldOut
    self.checksums = checksums
    self.normalization = normalization
  }

  /// `[H, W, C]` of one image.
  public var imageShape: [Int] { Array(train.images.shape.dropFirst()) }
}

/// How much of a dataset to load and where to find it.
public struct DatasetOptions: Sendable, Hashable, Codable {
  /// Number of training examples; `nil` for the whole split. For classification the subset is stratified by class.
  public var trainSize: Int?
  /// Number of test examples; `nil` for the whole split.
  public var testSize: Int?
  /// Chooses which examples a subset keeps; the subset depends on nothing else.
  public var subsetSeed: UInt64
  /// Directory holding the dataset's files, overriding the default location and environment variables.
  public var root: String?
  /// Also load up to this many examples of the training pool that the training subset does not use (`heldOut`),
  /// stratified by class; fewer when the pool has fewer left (none when the subset is the whole pool). The
  /// training and test splits are the same with or without it.
  public var heldOutSize: Int?

  public init(
    trainSize: Int? = nil, testSize: Int? = nil, subsetSeed: UInt64 = 0, root: String? = nil, heldOutSize: Int? = nil
  ) {
    self.trainSize = trainSize
    self.testSize = testSize
    self.subsetSeed = subsetSeed
    self.root = root
    self.heldOutSize = heldOutSize
  }
}

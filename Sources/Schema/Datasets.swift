/// What a dataset's targets are, and so what a model trained on it learns: the kind of targets and loss.
public enum TaskKind: String, Codable, Sendable, Hashable {
  /// One class label per image.
  case classification
  /// One binary mask per image.
  case segmentation
  /// A vector of real targets per example.
  case regression
}

/// Static facts about a registered dataset, available without loading it: the dataset registry's own entries, and
/// what the spec language validates a run's dataset against.
public struct DatasetInfo: Sendable, Hashable, Codable {
  /// `[H, W, C]` of one image.
  public var imageShape: [Int]
  public var classes: Int
  public var task: TaskKind
  /// Size of the whole training split (for generated sets, the default size).
  public var fullTrainSize: Int
  /// Size of the whole test split (for generated sets, the default size).
  public var fullTestSize: Int

  public init(imageShape: [Int], classes: Int, task: TaskKind, fullTrainSize: Int, fullTestSize: Int) {
    (self.imageShape, self.classes, self.task) = (imageShape, classes, task)
    (self.fullTrainSize, self.fullTestSize) = (fullTrainSize, fullTestSize)
  }
}

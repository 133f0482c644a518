/// Every metric a run records or a check can read, with which way is better and its unit. One table instead of
/// guessing from the name (a name without "error" or "loss" was taken as higher-is-better, which would mis-rank a
/// train–test gap or an MSE).
public struct MetricInfo: Sendable, Equatable {
  public enum Direction: Sendable, Equatable {
    case higherIsBetter, lowerIsBetter
  }

  public var name: String
  public var direction: Direction
  /// Percent (0–100): values read "91.20", differences "+0.60 pt".
  public var percent: Bool
  /// Which tasks record it; a check on another task's metric is a spec error.
  public var tasks: Set<String>
  public var doc: String
}

public enum MetricRegistry {
  public static let all: [MetricInfo] = [
    MetricInfo(
      name: "test_accuracy", direction: .higherIsBetter, percent: true, tasks: ["classification"],
      doc: "accuracy on the test split"),
    MetricInfo(
      name: "test_error", direction: .lowerIsBetter, percent: true, tasks: ["classification"],
      doc: "100 − test_accuracy"),
    MetricInfo(
      name: "test_loss", direction: .lowerIsBetter, percent: false,
      tasks: ["classification", "segmentation", "regression"],
      doc: "mean loss on the test split"),
    MetricInfo(
      name: "train_accuracy", direction: .higherIsBetter, percent: true, tasks: ["classification"],
      doc: "accuracy on the training set, evaluation mode"),
    MetricInfo(
      name: "train_loss", direction: .lowerIsBetter, percent: false,
      tasks: ["classification", "segmentation", "regression"],
      doc: "mean loss on the training set, evaluation mode"),
    MetricInfo(
      name: "train_test_gap", direction: .lowerIsBetter, percent: true, tasks: ["classification"],
      doc: "train_accuracy − test_accuracy at the end (derived): how much the net over-fits"),
    MetricInfo(
      name: "dice", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "mean per-image Dice on the test split"),
    MetricInfo(
      name: "iou", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "mean per-image IoU on the test split"),
    MetricInfo(
      name: "precision", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel precision on the test split: predicted target pixels that are target, pooled over images"),
    MetricInfo(
      name: "recall", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel recall on the test split: target pixels predicted, pooled over images"),
    MetricInfo(
      name: "train_dice", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "Dice on the training set, evaluation mode"),
    MetricInfo(
      name: "train_iou", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "IoU on the training set, evaluation mode"),
    MetricInfo(
      name: "train_precision", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel precision on the training set, evaluation mode"),
    MetricInfo(
      name: "train_recall", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel recall on the training set, evaluation mode"),
    MetricInfo(
      name: "mse", direction: .lowerIsBetter, percent: false, tasks: ["regression"],
      doc: "mean squared error on the test split"),
    MetricInfo(
      name: "train_mse", direction: .lowerIsBetter, percent: false, tasks: ["regression"],
      doc: "mean squared error on the training set, evaluation mode"),
    MetricInfo(
      name: "mse_gap", direction: .lowerIsBetter, percent: false, tasks: ["regression"],
      doc: "mse − train_mse at the end (derived): how much the model over-fits"),
    MetricInfo(
      name: "val_accuracy", direction: .higherIsBetter, percent: true, tasks: ["classification"],
      doc: "accuracy on the held-out validation split (runs with dataset.validation_fraction > 0): what a tuning "
        + "budget chooses by"),
    MetricInfo(
      name: "val_loss", direction: .lowerIsBetter, percent: false,
      tasks: ["classification", "segmentation", "regression"],
      doc: "mean loss on the held-out validation split"),
    MetricInfo(
      name: "val_dice", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "mean per-image Dice on the held-out validation split"),
    MetricInfo(
      name: "val_iou", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "mean per-image IoU on the held-out validation split"),
    MetricInfo(
      name: "val_precision", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel precision on the held-out validation split"),
    MetricInfo(
      name: "val_recall", direction: .higherIsBetter, percent: true, tasks: ["segmentation"],
      doc: "pixel recall on the held-out validation split"),
    MetricInfo(
      name: "val_mse", direction: .lowerIsBetter, percent: false, tasks: ["regression"],
      doc: "mean squared error on the held-out validation split"),
    MetricInfo(
      name: "cross_device_tokens", direction: .lowerIsBetter, percent: true, tasks: ["classification"],
      doc: "mixture-of-experts models: percent of training token passes (tokens × MoE layers × steps) sent to an "
        + "expert on another virtual device"),
  ]

  static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  public static func info(_ name: String) -> MetricInfo? { byName[name] }

  /// Metric names a task's runs record, in table order.
  public static func names(forTask task: String) -> [String] { all.filter { $0.tasks.contains(task) }.map(\.name) }
}

/// Which way is better for a metric, from the registry (higher for a name it does not know, as before).
public func naturalGoal(of metric: String) -> ClaimCheck.Goal {
  MetricRegistry.info(metric)?.direction == .lowerIsBetter ? .min : .max
}

/// Whether a metric is a percentage, from the registry.
public func isPercentMetric(_ metric: String) -> Bool { MetricRegistry.info(metric)?.percent ?? false }

/// The train/test metric pair over-fitting is measured on, by task — accuracy for classifiers, Dice for
/// segmentation, MSE for regression — told apart by what the runs record. The regime gate and the comparison
/// figure's gap panel both read it.
public struct FitMetricPair: Sendable, Equatable {
  public var train: String
  public var test: String

  public init(train: String, test: String) {
    self.train = train
    self.test = test
  }

  /// The task's pair, read off the metrics the runs recorded: the test metric or the train metric (a calibration
  /// pilot records no test metric, so a regression or segmentation pilot is known by its train metric).
  public static func recorded(in finals: [[String: Double]]) -> FitMetricPair {
    func has(_ names: String...) -> Bool { finals.contains { f in names.contains { f[$0] != nil } } }
    if has("mse", "train_mse") { return FitMetricPair(train: "train_mse", test: "mse") }
    if has("dice", "train_dice") { return FitMetricPair(train: "train_dice", test: "dice") }
    return FitMetricPair(train: "train_accuracy", test: "test_accuracy")
  }

  /// How much one run over-fits, in the metric's better direction: train − test for an accuracy or Dice, test −
  /// train for an error such as the MSE. Nil when the run lacks either metric.
  public func gap(_ final: [String: Double]) -> Double? {
    guard let trained = final[train], let tested = final[test] else { return nil }
    return naturalGoal(of: train) == .min ? tested - trained : trained - tested
  }
}
